"""The recipe test step's command rules, with a recording executor instead of a root."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from rvwheels.recipe.spec import BuildSpec, Recipe, SourceSpec, TestSpec
from rvwheels.verify.wheeltest import TestVenv, run_recipe_checks


class Recorder:
    def __init__(self) -> None:
        self.argvs: list[list[str]] = []
        self.envs: list[dict] = []
        self.binds: list[dict] = []

    def run(self, argv, *, env=None, **_kwargs) -> str:
        self.argvs.append(list(argv))
        self.envs.append(dict(env or {}))
        return ""

    def bound(self, ro_binds):
        self.binds.append(dict(ro_binds))
        return self


def _venv(ex: Recorder) -> TestVenv:
    return TestVenv(
        side=SimpleNamespace(executor=ex), python="/v/bin/python", cwd="/r", host_cwd=Path("/r")
    )


def _recipe() -> Recipe:
    return Recipe(
        name="demo",
        version="1",
        source=SourceSpec(url="https://example.org/demo-1.tar.gz", sha256="0" * 64),
        build=BuildSpec(backend="setuptools"),
        test=TestSpec(
            imports=("demo",),
            commands=(("python", "-c", "print(1)"), ("python", "-m", "pytest", "{source}/tests")),
        ),
        path=Path("/recipes/demo.toml"),
        digest="d",
    )


def test_source_commands_get_the_tree_at_build_time():
    ex = Recorder()
    skipped = run_recipe_checks(_recipe(), _venv(ex), log=None, deadline=1e12, source="/w/src")
    assert skipped == 0
    assert ex.argvs[-1] == ["/v/bin/python", "-m", "pytest", "/w/src/tests"]


def test_without_a_source_those_commands_are_left_out_and_counted():
    ex = Recorder()
    skipped = run_recipe_checks(_recipe(), _venv(ex), log=None, deadline=1e12)
    assert skipped == 1
    assert ex.argvs == [["/v/bin/python", "-c", "import demo"], ["/v/bin/python", "-c", "print(1)"]]


def test_each_run_prefixes_its_emulator_and_sets_its_variables():
    from rvwheels.verify.runs import DEFAULT_RUN, TestRun

    ex = Recorder()
    c910v = TestRun(
        label="qemu-rvv071 OPENBLAS_CORETYPE=C910V",
        prefix=("/rvw/emulators/qemu-rvv071", "-cpu", "rv64,x-v=true"),
        env={"OPENBLAS_CORETYPE": "C910V", "RVWHEELS_EMULATOR": "/rvw/emulators/qemu-rvv071"},
        binds={Path("/cache/emulators/qemu-rvv071-abc"): "/rvw/emulators"},
    )
    run_recipe_checks(
        _recipe(), _venv(ex), log=None, deadline=1e12, source="/w/src", runs=[DEFAULT_RUN, c910v]
    )
    assert len(ex.argvs) == 6  # the import and two commands, twice
    assert ex.argvs[0] == ["/v/bin/python", "-c", "import demo"] and ex.envs[0] == {}
    assert ex.argvs[3][:4] == [
        "/rvw/emulators/qemu-rvv071",
        "-cpu",
        "rv64,x-v=true",
        "/v/bin/python",
    ]
    assert ex.argvs[5][-3:] == ["-m", "pytest", "/w/src/tests"]
    assert ex.envs[5]["OPENBLAS_CORETYPE"] == "C910V"
    assert ex.binds == [{}, {Path("/cache/emulators/qemu-rvv071-abc"): "/rvw/emulators"}]
