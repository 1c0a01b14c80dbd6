"""What a build mode provides to the package builder: where to build, repair and test."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rvwheels.environment.distro import Distro
from rvwheels.environment.executor import Executor
from rvwheels.environment.pkgconfig import Layout
from rvwheels.errors import EnvError

PYTHON_PROBE = (
    "import json, platform, sys; print(json.dumps({"
    "'version': '%d.%d' % sys.version_info[:2], 'full': platform.python_version(), "
    "'glibc': platform.libc_ver()[1], 'machine': platform.machine()}))"
)


@dataclass(frozen=True, kw_only=True)
class PythonInfo:
    version: str  # "3.13"
    full: str  # "3.13.5"
    glibc: tuple[int, int]
    machine: str

    @property
    def wheel_cache_key(self) -> str:
        return f"cp{self.version.replace('.', '')}-{self.machine}"


def probe_python(executor: Executor, python: str, *, log: Path) -> PythonInfo:
    out = executor.run([python, "-c", PYTHON_PROBE], capture=True, log=log)
    data = json.loads(out.strip().splitlines()[-1])
    major, minor = (int(x) for x in (data["glibc"] or "0.0").split(".")[:2])
    return PythonInfo(
        version=data["version"], full=data["full"], glibc=(major, minor), machine=data["machine"]
    )


@dataclass(frozen=True, kw_only=True)
class Side:
    """One place where commands run: an executor, its Python and where its wheels come from."""

    executor: Executor
    python: str
    info: PythonInfo
    wheels_dir: Path  # host folder of wheels for this Python and machine (pip --find-links)
    pip_platforms: tuple[str, ...] | None  # None: the host's own pip resolves natively

    @property
    def wheels_inside(self) -> str:
        return self.executor.inside(self.wheels_dir)


@dataclass(frozen=True, kw_only=True)
class BuildEnvironment:
    mode: str
    build: Side  # where the build backend and auditwheel run
    test: Side  # a clean riscv64 environment where wheels are installed and tested
    work_dir: Path  # host folder, writable from both sides
    wheelhouse: Path
    layout: Layout  # the target's library, header and .pc folders as the build side sees them
    distro: Distro  # of the build side, for install hints
    c_compiler: str
    fortran_compiler: str
    build_machine_c_compiler: str  # for programs a build runs on the build machine (HOSTCC)
    hints: dict[str, str]  # role ("c", "fortran") -> how to install it there
    backend_env: dict[str, str]  # added to the build backend's environment (cross settings)
    cross_file_args: dict[str, object] | None  # render_cross_file kwargs, None when not crossing
    description: str  # one line for progress output and build records
    fingerprint: str  # changes whenever the roots, target, Pythons or mode change
    # The same without the Pythons: what a Python-independent build (backend make) depends on,
    # so one OpenBLAS wheel serves every --python.
    machine_fingerprint: str

    def require_same_python(self) -> None:
        if self.build.info.version != self.test.info.version:
            msg = (
                f"the build Python is {self.build.info.version} but the target's is "
                f"{self.test.info.version}; a cross build needs the same version on both sides"
            )
            raise EnvError(msg)


def fingerprint(*parts: object) -> str:
    import hashlib

    return hashlib.sha256(json.dumps([str(p) for p in parts]).encode()).hexdigest()


def tag_platforms(machine: str, glibc: tuple[int, int], floor: tuple[int, int]) -> Sequence[str]:
    from rvwheels.fetch import manylinux_platforms

    return manylinux_platforms(machine, glibc, floor)
