"""CPython built from source (``toolchain/pythons/<version>.toml``) when Debian has no such version.

Two interpreters of one version: x86_64, which runs the cross build, and riscv64, which wheels are
built for and tested with (cross compiled, using the x86_64 one as its build Python). Each is
configured with ``--prefix`` at its mount point (``mount_point``), and executors bind the install
there, so ``_sysconfigdata``, shebangs and venvs agree in every root.

Both are cached in ``<cache>/pythons/cpython-<version>-<key>/``, one sub-folder per machine, where
the key hashes the spec file: editing it makes a new build. As with roots, the build happens in a
temporary folder that is renamed into place after a smoke check, under a lock.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import tarfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from rvwheels.environment.executor import RootExecutor

# The spec file is read in pythonspec; its names are used from here too (``x as x``: re-exported).
from rvwheels.environment.pythonspec import BUILD_MACHINE as BUILD_MACHINE
from rvwheels.environment.pythonspec import MACHINES as MACHINES
from rvwheels.environment.pythonspec import PythonSpec as PythonSpec
from rvwheels.environment.pythonspec import SideSpec as SideSpec
from rvwheels.environment.pythonspec import available_python_versions as available_python_versions
from rvwheels.environment.pythonspec import load_python_spec as load_python_spec
from rvwheels.environment.roots import ensure_root, load_root_spec
from rvwheels.errors import CommandFailed, EnvError
from rvwheels.fetch import fetch_file
from rvwheels.locks import make_once
from rvwheels.recipe.spec import SourceSpec

PYTHONS_MOUNT = "/rvw/pythons"
MARKER = ".rvwheels-python.json"
WORK_MOUNT = "/rvw/work"
SMOKE_TIMEOUT = 1800


@dataclass(frozen=True, kw_only=True)
class Install:
    """One machine's interpreter: ``host_dir`` on this machine is ``mount_point`` in a root."""

    machine: str
    host_dir: Path
    mount_point: str
    interpreter: str
    sysconfigdata_name: str
    # The folder (inside a root) that holds the ``_sysconfigdata`` module.
    sysconfigdata_dir: str

    def binds(self) -> dict[Path, str]:
        # bwrap cannot make a mount point inside a read-only root, and roots only have the
        # empty /rvw/pythons: bind the folder that holds every machine's install there.
        return {self.host_dir.parent: PYTHONS_MOUNT}


@dataclass(frozen=True, kw_only=True)
class BuiltPython:
    version: str
    release: str
    key: str
    folder: Path
    installs: Mapping[str, Install]

    def install(self, machine: str) -> Install:
        if machine not in self.installs:
            built = ", ".join(self.installs)
            msg = f"CPython {self.version} is built for {built}, not {machine}; use one of those"
            raise EnvError(msg)
        return self.installs[machine]

    @property
    def sysconfigdata_name(self) -> str:
        """The riscv64 interpreter's sysconfig module, for ``_PYTHON_SYSCONFIGDATA_NAME``."""
        return self.install("riscv64").sysconfigdata_name

    def binds(self) -> dict[Path, str]:
        """Add to an executor's ro_binds: every machine's install at its mount point."""
        return {self.folder: PYTHONS_MOUNT}


def mount_point(version: str, machine: str) -> str:
    """Both the ``--prefix`` and where executors bind the install, in every root."""
    return f"{PYTHONS_MOUNT}/cpython-{version}-{machine}"


def interpreter(version: str, machine: str) -> str:
    return f"{mount_point(version, machine)}/bin/python{version}"


# --- commands (pure, so tests can check them without building) --------------------------------


def configure_argv(spec: PythonSpec, machine: str, source_dir: str) -> list[str]:
    argv = [f"{source_dir}/configure", f"--prefix={mount_point(spec.version, machine)}"]
    argv += [*spec.configure, *spec.sides[machine].configure]
    if machine != BUILD_MACHINE:
        argv.append(f"--with-build-python={interpreter(spec.version, BUILD_MACHINE)}")
    return argv


def make_argv(jobs: int) -> list[str]:
    return ["make", f"-j{jobs}"]


def smoke_argv(spec: PythonSpec, machine: str) -> list[str]:
    """Imports the checked modules (and that the machine is right), then makes a venv with pip."""
    python = interpreter(spec.version, machine)
    code = (
        f"import platform, {', '.join(spec.check_imports)}; "
        f"assert platform.machine() == {machine!r}, platform.machine()"
    )
    steps = [
        [python, "-c", code],
        [python, "-m", "venv", "/tmp/smoke"],
        ["/tmp/smoke/bin/python", "-m", "pip", "--version"],
    ]
    # One shell: each executor run has its own fresh /tmp, so the venv must live in one run.
    return ["sh", "-c", " && ".join(shlex.join(step) for step in steps)]


# --- the cache --------------------------------------------------------------------------------


def python_dir(spec: PythonSpec, cache: Path) -> Path:
    return cache / "pythons" / f"cpython-{spec.version}-{spec.key}"


def is_ready(folder: Path) -> bool:
    return (folder / MARKER).is_file()


def built_python(spec: PythonSpec, folder: Path) -> BuiltPython:
    installs = {m: _install(spec.version, m, folder) for m in MACHINES}
    return BuiltPython(
        version=spec.version, release=spec.release, key=spec.key, folder=folder, installs=installs
    )


def _install(version: str, machine: str, folder: Path) -> Install:
    mount = mount_point(version, machine)
    host_dir = folder / Path(mount).name
    return Install(
        machine=machine,
        host_dir=host_dir,
        mount_point=mount,
        interpreter=interpreter(version, machine),
        sysconfigdata_name=read_sysconfigdata_name(host_dir, version),
        sysconfigdata_dir=f"{mount}/lib/python{version}",
    )


def read_sysconfigdata_name(host_dir: Path, version: str) -> str:
    found = sorted((host_dir / "lib" / f"python{version}").glob("_sysconfigdata_*.py"))
    if len(found) != 1:
        msg = (
            f"{host_dir}: expected one _sysconfigdata_*.py, found {len(found)}; "
            "delete the folder so rvwheels builds CPython again"
        )
        raise EnvError(msg)
    return found[0].stem


def ensure_cpython(spec: PythonSpec, *, cache: Path, toolchain_dir: Path, log: Path) -> BuiltPython:
    """Return the cached build of ``spec``, building (and smoke-checking) it first if needed."""
    final = python_dir(spec, cache)
    make_once(
        final,
        lambda: is_ready(final),
        lambda: _build(spec, final, cache=cache, toolchain_dir=toolchain_dir, log=log),
    )
    return built_python(spec, final)


def _build(spec: PythonSpec, final: Path, *, cache: Path, toolchain_dir: Path, log: Path) -> None:
    staging = final.with_name(f".tmp-{final.name}")
    work = final.with_name(f".work-{final.name}")
    for folder in (staging, work):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    for machine in MACHINES:
        (work / f"build-{machine}").mkdir()
    source_dir = _unpack(fetch_python_source(spec, cache), work)
    root = ensure_root(load_root_spec(spec.build_root, toolchain_dir), cache, log=log)
    executor = RootExecutor(root=root, binds={work: WORK_MOUNT, staging: PYTHONS_MOUNT})
    seconds = {}
    for machine in MACHINES:
        started = time.monotonic()
        _build_side(executor, spec, machine, f"{WORK_MOUNT}/{source_dir}", log=log)
        seconds[machine] = round(time.monotonic() - started, 1)
        _note(log, f"# CPython {spec.release} for {machine} built in {seconds[machine]} s")
    _smoke_check(spec, staging, cache=cache, toolchain_dir=toolchain_dir, log=log)
    marker = {"release": spec.release, "key": spec.key, "url": spec.url, "sha256": spec.sha256}
    (staging / MARKER).write_text(json.dumps({**marker, "build_seconds": seconds}, indent=1))
    shutil.rmtree(work)
    shutil.rmtree(final, ignore_errors=True)
    staging.rename(final)


def _build_side(
    executor: RootExecutor, spec: PythonSpec, machine: str, source_dir: str, *, log: Path
) -> None:
    build_dir = f"{WORK_MOUNT}/build-{machine}"
    steps = (
        configure_argv(spec, machine, source_dir),
        make_argv(os.cpu_count() or 1),
        ["make", "install"],
    )
    try:
        for argv in steps:
            executor.run(argv, env=dict(spec.sides[machine].env), cwd=build_dir, log=log)
    except CommandFailed:
        msg = f"building CPython {spec.release} for {machine} failed; see {log}"
        raise EnvError(msg) from None


def _smoke_check(
    spec: PythonSpec, installs: Path, *, cache: Path, toolchain_dir: Path, log: Path
) -> None:
    for machine, side in spec.sides.items():
        root = ensure_root(load_root_spec(side.test_root, toolchain_dir), cache, log=log)
        executor = RootExecutor(root=root, binds={}, ro_binds={installs: PYTHONS_MOUNT})
        try:
            executor.run(smoke_argv(spec, machine), log=log, timeout=SMOKE_TIMEOUT)
        except CommandFailed:
            msg = (
                f"CPython {spec.release} for {machine} built but failed its smoke check "
                f"(imports, venv, pip) in the '{side.test_root}' root; see {log}"
            )
            raise EnvError(msg) from None


def fetch_python_source(spec: PythonSpec, cache: Path) -> Path:
    """The hash-checked source tarball, in the same cache folder as recipe sources."""
    return fetch_file(
        SourceSpec(url=spec.url, sha256=spec.sha256),
        cache,
        name=f"CPython {spec.release}",
        stated_in=spec.path,
        key="sha256",
    )


def _unpack(archive: Path, dest: Path) -> str:
    """Extract ``archive`` into ``dest``; return the name of its single top-level folder."""
    with tarfile.open(archive) as tf:
        tops = {member.name.split("/", 1)[0] for member in tf.getmembers()}
        if len(tops) != 1:
            msg = f"{archive}: expected one top-level folder, found {len(tops)}; check the url"
            raise EnvError(msg)
        tf.extractall(dest, filter="data")
    return tops.pop()


def _note(log: Path, line: str) -> None:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a") as f:
        f.write(line + "\n")
