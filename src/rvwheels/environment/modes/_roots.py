"""What the cross and emulated modes share: roots seen through bubblewrap."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from rvwheels.environment.executor import RootExecutor
from rvwheels.environment.pythons import (
    BuiltPython,
    Install,
    available_python_versions,
    ensure_cpython,
    load_python_spec,
)
from rvwheels.environment.roots import ensure_root, extended, load_root_spec
from rvwheels.environment.sides import Side, fingerprint, probe_python
from rvwheels.environment.target import Target, load_target
from rvwheels.errors import EnvError
from rvwheels.fetch import manylinux_platforms
from rvwheels.options import BuildOptions


def root_side(
    name: str,
    options: BuildOptions,
    target: Target,
    *,
    log: Path,
    with_qemu: bool = False,
    python: Install | None = None,
    packages: tuple[str, ...] = (),
) -> Side:
    """A Side inside the cached root ``name`` (made if missing), with work, wheel cache and
    wheelhouse bound in. Only the work folder is writable. ``python``: a CPython built by the
    toolchain, bound in and used instead of the root's own python3; ``packages``: more Debian
    packages the root must have (a root of its own, see roots.extended)."""
    spec = extended(load_root_spec(name, options.toolchain_dir), packages)
    root = ensure_root(spec, options.cache, log=log)
    options.work_dir.mkdir(parents=True, exist_ok=True)
    options.wheelhouse.mkdir(parents=True, exist_ok=True)
    wheels_base = options.cache / "wheels"
    wheels_base.mkdir(parents=True, exist_ok=True)
    ro = {wheels_base: "/rvw/cache", options.wheelhouse: "/rvw/wheelhouse"}
    if with_qemu:
        ro[Path(_which_qemu(target))] = target.qemu_in_root
    if python is not None:
        ro.update(python.binds())
    interpreter = "/usr/bin/python3" if python is None else python.interpreter
    executor = RootExecutor(root=root, binds={options.work_dir: "/rvw/work"}, ro_binds=ro)
    info = probe_python(executor, interpreter, log=log)
    platforms = manylinux_platforms(info.machine, info.glibc, _floor(info.machine, target))
    return Side(
        executor=executor,
        python=interpreter,
        info=info,
        wheels_dir=wheels_base / info.wheel_cache_key,
        pip_platforms=tuple(platforms),
    )


@dataclass(frozen=True, kw_only=True)
class RootSides:
    """What cross and emulated builds share: the target, the toolchain-built Python (if any),
    the build side in its root and the clean riscv64 test side."""

    target: Target
    built: BuiltPython | None
    build: Side
    test: Side


def root_sides(
    options: BuildOptions,
    *,
    log: Path,
    python: str | None,
    build_root: str,
    build_machine: str | None = None,
    with_qemu: bool = False,
    packages: tuple[str, ...] = (),
) -> RootSides:
    """``build_machine``: the build side's architecture (x86_64 for cross), default the target's;
    ``packages``: more Debian packages for the build root."""
    target = load_target(toolchain_dir=options.toolchain_dir)
    built = toolchain_python(options, python, log=log)

    def interpreter(machine: str) -> Install | None:
        return None if built is None else built.install(machine)

    build = root_side(
        build_root,
        options,
        target,
        log=log,
        with_qemu=with_qemu,
        python=interpreter(build_machine or target.machine),
        packages=packages,
    )
    test = _clean_target_side(options, target, built, python, log=log)
    return RootSides(target=target, built=built, build=build, test=test)


def target_side_only(options: BuildOptions, *, log: Path, python: str | None) -> Side:
    """The clean riscv64 test side without a build side (what verify needs)."""
    target = load_target(toolchain_dir=options.toolchain_dir)
    built = toolchain_python(options, python, log=log)
    return _clean_target_side(options, target, built, python, log=log)


def _clean_target_side(
    options: BuildOptions,
    target: Target,
    built: BuiltPython | None,
    python: str | None,
    *,
    log: Path,
) -> Side:
    install = None if built is None else built.install(target.machine)
    side = root_side("target", options, target, log=log, python=install)
    require_python(python, side, options.toolchain_dir)
    return side


def toolchain_python(options: BuildOptions, version: str | None, *, log: Path):
    """The CPython ``version`` built by the toolchain (made if missing), or None for the
    roots' own Python: when no version is asked for, or the one asked for has no
    toolchain/pythons file (3.13 is Debian's; ``require_python`` checks it is the roots')."""
    if version is None or version not in available_python_versions(options.toolchain_dir):
        return None
    spec = load_python_spec(version, options.toolchain_dir)
    return ensure_cpython(spec, cache=options.cache, toolchain_dir=options.toolchain_dir, log=log)


def require_python(version: str | None, side: Side, toolchain_dir: Path) -> None:
    if version is not None and side.info.version != version:
        built = ", ".join(available_python_versions(toolchain_dir)) or "none"
        msg = (
            f"--python {version}: the roots' Python is {side.info.version} and "
            f"toolchain/pythons/ builds {built}; add toolchain/pythons/{version}.toml "
            "(a CPython source and its configure arguments) to build it"
        )
        raise EnvError(msg)


def _floor(machine: str, target: Target) -> tuple[int, int]:
    return target.manylinux_floor if machine == target.machine else (2, 5)


def _which_qemu(target: Target) -> str:
    found = shutil.which(target.qemu)
    if found is None:
        msg = f"{target.qemu} is not installed; run 'rvwheels setup' (it installs qemu-user-static)"
        raise EnvError(msg)
    return found


def roots_fingerprint(
    mode: str, build: Side, test: Side, target: Target, *, with_pythons: bool = True
) -> str:
    """Roots count by their key (in their folder name), not their path: CI jobs with other
    cache folders still agree on what is up to date."""
    roots = [side.executor.root.name for side in (build, test)]  # type: ignore[attr-defined]
    pythons = (build.info, test.info) if with_pythons else ()
    return fingerprint(mode, *roots, target, *pythons)
