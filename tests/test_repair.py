"""Phase "repairing": auditwheel repair then show, where the build ran (commands recorded)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rvwheels.builder.compile import Compiled
from rvwheels.errors import CommandFailed, RepairError
from rvwheels.recipe.spec import ProvidesSpec, RepairSpec
from rvwheels.repair import platform_tag, repair
from tests.builder._jobs import FakeExecutor, fake_env, host_wheel, job, recipe

REPAIRED = "demo-1.0-cp313-cp313-manylinux_2_38_riscv64.whl"


class Auditwheel(FakeExecutor):
    """`auditwheel repair -w DIR` leaves a wheel in DIR; `show` says something."""

    def __init__(self, *, fails: bool = False) -> None:
        super().__init__()
        self.fails = fails
        self.envs: list[dict] = []

    def run(self, argv, **kwargs):
        super().run(argv)
        self.envs.append(kwargs.get("env") or {})
        if self.fails:
            raise CommandFailed("auditwheel exited with 1", returncode=1, log_path=None)
        if argv[1] == "repair":
            Path(argv[argv.index("-w") + 1], REPAIRED).write_text("")
            return ""
        return "demo-1.0 is consistent with\n the manylinux_2_38_riscv64 tag\n"


def _env(tmp_path, executor):
    env = fake_env(tmp_path)
    env.build.executor = executor
    return env


def test_repair_searches_host_libraries_and_leaves_excluded_ones(tmp_path):
    executor = Auditwheel()
    openblas = host_wheel(tmp_path, "openblas", provides=ProvidesSpec(libdirs=("openblas/lib",)))
    demo = recipe(repair=RepairSpec(exclude=("libtorch*.so*",)))
    the_job = job(tmp_path, demo, env=_env(tmp_path, executor), host=[openblas])
    compiled = Compiled(wheel=tmp_path / "demo.whl", venv_bin="/v/bin", compiler="gcc")
    repaired = repair(the_job, compiled)
    assert repaired.wheel.name == REPAIRED and platform_tag(repaired.wheel) == (
        "manylinux_2_38_riscv64"
    )
    assert repaired.auditwheel_show == "demo-1.0 is consistent with the manylinux_2_38_riscv64 tag"
    repair_argv, show_argv = executor.argvs
    assert repair_argv[:4] == ["/v/bin/auditwheel", "repair", "--plat", "auto"]
    assert repair_argv[-3:] == ["--exclude", "libtorch*.so*", str(tmp_path / "demo.whl")]
    target_site = tmp_path / "work" / "demo" / "target-site"
    assert executor.envs[0]["LD_LIBRARY_PATH"] == f"{target_site}/openblas/lib"
    assert show_argv == ["/v/bin/auditwheel", "show", str(repaired.wheel)]


def test_a_wheel_auditwheel_cannot_repair_is_a_repair_error(tmp_path):
    the_job = job(tmp_path, env=_env(tmp_path, Auditwheel(fails=True)))
    compiled = Compiled(wheel=tmp_path / "demo.whl", venv_bin="/v/bin", compiler="gcc")
    with pytest.raises(RepairError, match="auditwheel could not repair demo.whl"):
        repair(the_job, compiled)
