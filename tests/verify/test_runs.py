"""Which runs a recipe's tests get, and how an emulator run is prepared."""

from __future__ import annotations

from types import SimpleNamespace

from rvwheels.recipe.spec import EmulationSpec, TestSpec, VariantSpec
from rvwheels.verify import runs
from rvwheels.verify.runs import prepare_runs, run_specs
from tests.builder._jobs import python_info, recipe

C910V = EmulationSpec(emulator="qemu-rvv071", env={"OPENBLAS_CORETYPE": "C910V"})


def test_a_variant_with_its_own_runs_replaces_the_recipes():
    both = recipe(test=TestSpec(under=(EmulationSpec(), C910V)))
    assert run_specs(both, None) == (EmulationSpec(), C910V)
    only = VariantSpec(name="C910V", test_under=(EmulationSpec(emulator="qemu-rvv071"),))
    assert run_specs(both, only) == (EmulationSpec(emulator="qemu-rvv071"),)
    assert run_specs(both, VariantSpec(name="DYNAMIC")) == (EmulationSpec(), C910V)


def test_an_emulator_run_is_prefixed_bound_and_told_to_its_programs(tmp_path, monkeypatch):
    fake = SimpleNamespace(
        host_path=tmp_path / "qemu-rvv071", argv=lambda: ["/rvw/emulators/qemu-rvv071", "-cpu", "x"]
    )
    monkeypatch.setattr(runs, "load_emulator_spec", lambda name, toolchain: name)
    monkeypatch.setattr(runs, "ensure_emulator", lambda spec, cache, log: fake)
    monkeypatch.setattr(runs.platform, "machine", lambda: "x86_64")
    side = SimpleNamespace(info=python_info(machine="riscv64"))
    default, c910v = prepare_runs(
        (EmulationSpec(), C910V), side=side, toolchain_dir=tmp_path, cache=tmp_path, log=None
    )
    assert default.label == "default" and default.prefix == () and default.env == {}
    assert c910v.label == "qemu-rvv071 OPENBLAS_CORETYPE=C910V"
    assert c910v.prefix == ("/rvw/emulators/qemu-rvv071", "-cpu", "x")
    assert c910v.env == {
        "OPENBLAS_CORETYPE": "C910V",
        "RVWHEELS_EMULATOR": "/rvw/emulators/qemu-rvv071 -cpu x",
    }
    assert c910v.binds == {tmp_path: "/rvw/emulators"}


def test_on_a_riscv64_machine_the_run_keeps_its_variables_without_an_emulator(monkeypatch):
    monkeypatch.setattr(runs.platform, "machine", lambda: "riscv64")
    side = SimpleNamespace(info=python_info(machine="riscv64"))
    (run,) = prepare_runs((C910V,), side=side, toolchain_dir=None, cache=None, log=None)
    assert run.prefix == () and run.env == {"OPENBLAS_CORETYPE": "C910V"}
