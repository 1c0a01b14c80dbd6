"""`rvwheels doctor`: every piece of the environment, OK or missing, with the fix."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from rvwheels.environment.executor import HostExecutor, RootExecutor
from rvwheels.environment.host import binfmt_registered, load_host_spec
from rvwheels.environment.pkgconfig import discover_layout
from rvwheels.environment.pythons import available_python_versions, load_python_spec, python_dir
from rvwheels.environment.pythons import is_ready as is_python_built
from rvwheels.environment.roots import is_ready, load_root_spec, root_path
from rvwheels.environment.target import load_target
from rvwheels.errors import CommandFailed
from rvwheels.options import BuildOptions

SETUP = "run 'rvwheels setup' (as root)"


@dataclass(frozen=True, kw_only=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""

    def line(self) -> str:
        status = "OK     " if self.ok else "MISSING"
        tail = "" if self.ok or not self.fix else f"  → fix: {self.fix}"
        return f"{status} {self.name:<24} {self.detail}{tail}"


def run_checks(options: BuildOptions) -> list[Check]:
    if options.mode == "native":
        return list(_native_checks(options))
    return [*_host_checks(options), *_root_checks(options), *_python_checks(options)]


def _python_checks(options: BuildOptions) -> Iterator[Check]:
    """The target Pythons of cross and emulated builds: the roots' own (see the root checks)
    and each one toolchain/pythons/ can build, built already or made on first use."""
    for version in available_python_versions(options.toolchain_dir):
        spec = load_python_spec(version, options.toolchain_dir)
        folder = python_dir(spec, options.cache)
        built = is_python_built(folder)
        detail = f"CPython {spec.release} ({'built: ' if built else 'not built yet: '}{folder})"
        yield Check(
            name=f"python {version}",
            ok=True,
            detail=f"{detail}; use --python {version} (built on first use, ~10 min)"
            if not built
            else detail,
        )


def _host_checks(options: BuildOptions) -> Iterator[Check]:
    target = load_target(toolchain_dir=options.toolchain_dir)
    qemu = shutil.which(target.qemu)
    yield Check(
        name="qemu-user",
        ok=qemu is not None,
        detail=_first_line([target.qemu, "--version"]) if qemu else f"{target.qemu} not found",
        fix=SETUP,
    )
    spec = load_host_spec(options.toolchain_dir)
    yield Check(
        name="binfmt riscv64",
        ok=binfmt_registered(spec),
        detail=f"/proc/sys/fs/binfmt_misc/{spec.binfmt_name}",
        fix=SETUP,
    )
    for tool in ("bwrap", "mmdebstrap"):
        found = shutil.which(tool)
        yield Check(name=tool, ok=found is not None, detail=found or "not found", fix=SETUP)


def _root_checks(options: BuildOptions) -> Iterator[Check]:
    target = load_target(toolchain_dir=options.toolchain_dir)
    needed = ("cross", "target") if options.mode == "cross" else ("target-dev", "target")
    for name in needed:
        spec = load_root_spec(name, options.toolchain_dir)
        ready = is_ready(spec, options.cache)
        yield Check(
            name=f"root {name}", ok=ready, detail=str(root_path(spec, options.cache)), fix=SETUP
        )
        if not ready:
            continue
        root = RootExecutor(root=root_path(spec, options.cache), binds={})
        if name == "cross":
            yield from _compiler_checks(root, target.cross.binaries, target.triplet)
        elif name == "target-dev":
            yield from _compiler_checks(root, {"c": "gcc", "fortran": "gfortran"}, target.triplet)
        else:
            yield _python_check("target Python", root)


def _compiler_checks(executor, binaries: dict[str, str], triplet: str) -> Iterator[Check]:
    for role in ("c", "cpp", "fortran"):
        if role not in binaries:
            continue
        found = executor.which(binaries[role])
        detail = _first_line([binaries[role], "--version"], executor) if found else "not found"
        yield Check(name=f"compiler {role}", ok=found is not None, detail=detail, fix=SETUP)
    yield _python_check("build Python", executor)
    yield _tool_check("pkg-config", executor, SETUP)
    layout_dirs = [f"/usr/lib/{triplet}/pkgconfig", "/usr/lib64/pkgconfig", "/usr/lib/pkgconfig"]
    pc = [d for d in layout_dirs if executor.host_path(f"{d}/openblas.pc").is_file()]
    lib = executor.host_path(f"/usr/lib/{triplet}/libopenblas.so.0").exists()
    yield Check(
        name="OpenBLAS",
        ok=lib,
        detail=f"pkg-config: {pc[0] if pc else 'no .pc (rvwheels writes one)'}",
        fix=SETUP,
    )


def _tool_check(tool: str, executor, fix: str) -> Check:
    found = executor.which(tool)
    return Check(name=tool, ok=found is not None, detail=found or "not found", fix=fix)


def _python_check(name: str, executor) -> Check:
    version = _first_line(["python3", "--version"], executor)
    return Check(name=name, ok=version.startswith("Python"), detail=version, fix=SETUP)


def _native_checks(options: BuildOptions) -> Iterator[Check]:
    from rvwheels.environment.distro import detect_distro

    target = load_target(toolchain_dir=options.toolchain_dir)
    host = HostExecutor()
    distro = detect_distro(Path("/etc/os-release"), options.toolchain_dir)
    machine = os.uname().machine
    yield Check(
        name="machine",
        ok=machine == target.machine,
        detail=machine,
        fix=f"native mode runs on {target.machine}; use --mode cross on this machine",
    )
    yield _tool_check("pkg-config", host, distro.install_command("pkgconf"))
    for role, default in (("c", "gcc"), ("fortran", "gfortran")):
        compiler = os.environ.get("CC" if role == "c" else "FC", default)
        found = host.which(compiler)
        yield Check(
            name=f"compiler {role}",
            ok=found is not None,
            detail=_first_line([compiler, "--version"]) if found else f"{compiler} not found",
            fix=distro.install_command(distro.package(role)),
        )
    yield _python_check("Python", host)
    layout = discover_layout(host, options.prefixes, target.triplet)
    yield Check(
        name="pkg-config dirs",
        ok=bool(layout.pkgconfig_dirs),
        detail=":".join(layout.pkgconfig_dirs) or "none found",
        fix="set RVWHEELS_PREFIXES",
    )
    libs = [d for d in layout.lib_dirs if any(Path(d).glob("libopenblas.so*"))]
    yield Check(
        name="OpenBLAS",
        ok=bool(libs),
        detail=libs[0] if libs else "libopenblas.so* not found",
        fix=distro.install_command(
            "openblas-devel" if distro.family == "rpm" else "libopenblas-dev"
        ),
    )


def _first_line(argv: list[str], executor=None) -> str:
    executor = executor or HostExecutor()
    try:
        out = executor.run(argv, capture=True)
    except (CommandFailed, OSError) as exc:
        return f"cannot run {argv[0]} ({exc})".splitlines()[0]
    return (out.strip().splitlines() or ["?"])[0]
