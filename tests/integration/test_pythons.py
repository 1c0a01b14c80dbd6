"""CPython 3.11 from source: build it (or reuse the cached build) and run both interpreters in the
roots where rvwheels uses them: x86_64 in the cross root, riscv64 under qemu in the target root."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rvwheels.environment.executor import RootExecutor
from rvwheels.environment.pythons import (
    BuiltPython,
    ensure_cpython,
    load_python_spec,
    smoke_argv,
)
from rvwheels.environment.roots import ensure_root, load_root_spec
from rvwheels.paths import TOOLCHAIN_DIR, cache_dir

from .conftest import EM_RISCV

pytestmark = pytest.mark.integration

REPORT = (
    "import json, platform, sys, sysconfig; print(json.dumps({'machine': platform.machine(), "
    "'version': platform.python_version(), 'prefix': sys.prefix, "
    "'ext_suffix': sysconfig.get_config_var('EXT_SUFFIX')}))"
)


@pytest.fixture(scope="module")
def log(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cpython") / "build.log"


@pytest.fixture(scope="module")
def built(log) -> BuiltPython:
    spec = load_python_spec("3.11", TOOLCHAIN_DIR)
    return ensure_cpython(spec, cache=cache_dir(), toolchain_dir=TOOLCHAIN_DIR, log=log)


def executor_in(root_name: str, built: BuiltPython, log: Path) -> RootExecutor:
    root = ensure_root(load_root_spec(root_name), cache_dir(), log=log)
    return RootExecutor(root=root, binds={}, ro_binds=built.binds())


def report(executor: RootExecutor, python: str, env: dict[str, str] | None = None) -> dict:
    return json.loads(executor.run([python, "-c", REPORT], env=env, capture=True))


def test_the_x86_64_interpreter_runs_in_the_cross_root(built, log):
    x86 = built.install("x86_64")
    got = report(executor_in("cross", built, log), x86.interpreter)
    assert got["machine"] == "x86_64" and got["version"] == built.release
    assert got["prefix"] == x86.mount_point
    assert got["ext_suffix"] == ".cpython-311-x86_64-linux-gnu.so"


def test_the_riscv64_interpreter_runs_under_qemu_in_the_target_root(built, log):
    riscv = built.install("riscv64")
    header = (riscv.host_dir / "bin" / "python3.11").read_bytes()[:20]
    assert int.from_bytes(header[18:20], "little") == EM_RISCV
    got = report(executor_in("target", built, log), riscv.interpreter)
    assert got["machine"] == "riscv64" and got["version"] == built.release
    assert got["prefix"] == riscv.mount_point
    assert got["ext_suffix"] == ".cpython-311-riscv64-linux-gnu.so"


def test_the_riscv64_sysconfigdata_module_is_there_and_importable(built, log):
    assert built.sysconfigdata_name == "_sysconfigdata__linux_riscv64-linux-gnu"
    code = (
        f"import importlib; m = importlib.import_module({built.sysconfigdata_name!r}); "
        "print(m.build_time_vars['HOST_GNU_TYPE'], m.build_time_vars['MULTIARCH'])"
    )
    riscv = built.install("riscv64")
    out = executor_in("target", built, log).run([riscv.interpreter, "-c", code], capture=True)
    assert out.split() == ["riscv64-unknown-linux-gnu", "riscv64-linux-gnu"]


def test_the_x86_64_interpreter_reads_riscv64_sysconfig_for_cross_builds(built, log):
    # What a cross build does: the build interpreter, told to use the target's sysconfig.
    riscv = built.install("riscv64")
    env = {
        "_PYTHON_SYSCONFIGDATA_NAME": riscv.sysconfigdata_name,
        "_PYTHON_HOST_PLATFORM": "linux-riscv64",
        "PYTHONPATH": riscv.sysconfigdata_dir,
    }
    got = report(executor_in("cross", built, log), built.install("x86_64").interpreter, env)
    assert got["machine"] == "x86_64"
    assert got["ext_suffix"] == ".cpython-311-riscv64-linux-gnu.so"


def test_a_riscv64_venv_gets_pip_from_the_bundled_wheel(built, log):
    spec = load_python_spec("3.11", TOOLCHAIN_DIR)
    out = executor_in("target", built, log).run(smoke_argv(spec, "riscv64"), capture=True)
    assert out.startswith("pip ") and "python 3.11" in out
