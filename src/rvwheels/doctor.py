"""`rvwheels doctor`: every piece of the environment, OK or missing, with the fix.

Nothing here names a package: the libraries checked are those the recipes say the target
must provide (``[[requires.library]]``), and those our own recipes build (``[provides]``) are
listed as such.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from rvwheels.environment.distro import Distro, detect_distro
from rvwheels.environment.emulators import available_emulators, emulator_dir, load_emulator_spec
from rvwheels.environment.emulators import is_ready as is_emulator_ready
from rvwheels.environment.executor import Executor, HostExecutor, RootExecutor
from rvwheels.environment.host import binfmt_registered, load_host_spec
from rvwheels.environment.modes.cross import target_layout
from rvwheels.environment.pkgconfig import Layout, discover_layout, find_library_files
from rvwheels.environment.pythons import available_python_versions, load_python_spec, python_dir
from rvwheels.environment.pythons import is_ready as is_python_built
from rvwheels.environment.roots import is_ready, load_root_spec, root_path
from rvwheels.environment.target import load_target
from rvwheels.errors import CommandFailed
from rvwheels.options import BuildOptions
from rvwheels.recipe.loader import load_recipes
from rvwheels.recipe.spec import LibrarySpec, Recipe

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
    recipes = load_recipes(options.recipes_dir) if options.recipes_dir.is_dir() else {}
    if options.mode == "native":
        return [*_native_checks(options, recipes), *_recipe_libraries(recipes)]
    return [
        *_host_checks(options),
        *_root_checks(options, recipes),
        *_python_checks(options),
        *_emulator_checks(options),
        *_recipe_libraries(recipes),
    ]


def _python_checks(options: BuildOptions) -> Iterator[Check]:
    """The target Pythons of cross and emulated builds: the roots' own (see the root checks)
    and each one toolchain/pythons/ can build, built already or made on first use."""
    for version in available_python_versions(options.toolchain_dir):
        spec = load_python_spec(version, options.toolchain_dir)
        folder = python_dir(spec, options.cache)
        built = is_python_built(folder)
        detail = f"CPython {spec.release} ({'built: ' if built else 'not built yet: '}{folder})"
        if not built:
            detail += f"; use --python {version} (built on first use, ~10 min)"
        yield Check(name=f"python {version}", ok=True, detail=detail)


def _emulator_checks(options: BuildOptions) -> Iterator[Check]:
    """The emulators tests may name besides the default qemu-user: fetched (hash-checked from
    Debian's archive) and cached on first use."""
    for name in available_emulators(options.toolchain_dir):
        spec = load_emulator_spec(name, options.toolchain_dir)
        where = emulator_dir(spec, options.cache)
        state = (
            f"cached: {where}" if is_emulator_ready(spec, options.cache) else "fetched on first use"
        )
        yield Check(name=f"emulator {name}", ok=True, detail=f"{spec.description} ({state})")


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


def _root_checks(options: BuildOptions, recipes: Mapping[str, Recipe]) -> Iterator[Check]:
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
        if name == "target":
            yield _python_check("target Python", root)
            continue
        crossing = name == "cross"
        binaries = target.cross.binaries if crossing else {"c": "gcc", "fortran": "gfortran"}
        yield from _compiler_checks(root, binaries)
        layout = (
            target_layout(target) if crossing else discover_layout(root, ["/usr"], target.triplet)
        )
        distro = detect_distro(root.host_path("/etc/os-release"), options.toolchain_dir)
        # A library a recipe's [requires.system] brings is in that recipe's own derived root.
        libraries = _libraries(recipes, brought_by_recipe=True)
        yield from _library_checks(libraries, root, layout, distro, f"in root {name}")


def _compiler_checks(executor: Executor, binaries: Mapping[str, str]) -> Iterator[Check]:
    for role in ("c", "cpp", "fortran"):
        if role not in binaries:
            continue
        found = executor.which(binaries[role])
        detail = _first_line([binaries[role], "--version"], executor) if found else "not found"
        yield Check(name=f"compiler {role}", ok=found is not None, detail=detail, fix=SETUP)
    yield _python_check("build Python", executor)
    yield _tool_check("pkg-config", executor, SETUP)


def _libraries(
    recipes: Mapping[str, Recipe], *, brought_by_recipe: bool = False
) -> dict[str, tuple[LibrarySpec, list[str]]]:
    """Each library the recipes need from the target (by pkg-config name), and who needs it;
    ``brought_by_recipe``: leave out those the recipe's own [requires.system] installs."""
    needed: dict[str, tuple[LibrarySpec, list[str]]] = {}
    for name, recipe in sorted(recipes.items()):
        requires = recipe.requires
        libraries = requires.libraries_from_mode_root() if brought_by_recipe else requires.libraries
        for library in libraries:
            needed.setdefault(library.pkgconfig, (library, []))[1].append(name)
    return needed


def _library_checks(
    libraries: Mapping[str, tuple[LibrarySpec, list[str]]],
    executor: Executor,
    layout: Layout,
    distro: Distro,
    where: str,
) -> Iterator[Check]:
    for library, users in libraries.values():
        pc, lib = find_library_files(library, executor, layout)
        found = f"pkg-config: {pc or 'no .pc (rvwheels writes one)'}; {lib or 'no library'}"
        package = library.rpm if distro.family == "rpm" and library.rpm else library.debian
        yield Check(
            name=library.name,
            ok=lib is not None,
            detail=f"{found} {where} (for {', '.join(users)})",
            fix=distro.install_command(package or library.pkgconfig),
        )


def _recipe_libraries(recipes: Mapping[str, Recipe]) -> Iterator[Check]:
    """Libraries our recipes build and hand to the builds that need them ([provides])."""
    for name, recipe in sorted(recipes.items()):
        if recipe.provides.pkgconfig or recipe.provides.libdirs:
            yield Check(
                name=name,
                ok=True,
                detail=f"built by {recipe.path.name} (rvwheels build {name}); "
                "its wheel provides pkg-config and library folders",
            )


def _tool_check(tool: str, executor: Executor, fix: str) -> Check:
    found = executor.which(tool)
    return Check(name=tool, ok=found is not None, detail=found or "not found", fix=fix)


def _python_check(name: str, executor: Executor) -> Check:
    version = _first_line(["python3", "--version"], executor)
    return Check(name=name, ok=version.startswith("Python"), detail=version, fix=SETUP)


def _native_checks(options: BuildOptions, recipes: Mapping[str, Recipe]) -> Iterator[Check]:
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
    yield from _library_checks(_libraries(recipes), host, layout, distro, "on this machine")


def _first_line(argv: list[str], executor: Executor | None = None) -> str:
    executor = executor or HostExecutor()
    try:
        out = executor.run(argv, capture=True)
    except (CommandFailed, OSError) as exc:
        return f"cannot run {argv[0]} ({exc})".splitlines()[0]
    return (out.strip().splitlines() or ["?"])[0]
