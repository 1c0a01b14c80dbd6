"""pkg-config confined to the target, covering lib, lib64 and multiarch layouts, with a .pc file
generated for libraries that ship none (openEuler's OpenBLAS package, for one).

Generated files go into the build's own pkg-config folder, never into the system's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rvwheels.environment.distro import Distro
from rvwheels.environment.executor import Executor
from rvwheels.errors import EnvError
from rvwheels.recipe.spec import LibrarySpec


@dataclass(frozen=True, kw_only=True)
class Layout:
    """Where a target keeps libraries, headers and .pc files, as the build sees them."""

    pkgconfig_dirs: tuple[str, ...]
    lib_dirs: tuple[str, ...]
    include_dirs: tuple[str, ...]


def discover_layout(executor: Executor, prefixes: Sequence[str], triplet: str) -> Layout:
    """Every existing lib/lib64/multiarch folder under ``prefixes`` (dnf splits .pc files
    between /usr/lib and /usr/lib64; Debian uses /usr/lib/<triplet>)."""

    def existing(candidates: list[str]) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for c in candidates:
            if executor.host_path(c).is_dir():
                seen.setdefault(c)
        return tuple(seen)

    libs = [f"{p}/{d}" for p in prefixes for d in ("lib64", f"lib/{triplet}", "lib")]
    return Layout(
        pkgconfig_dirs=existing(
            [f"{lib}/pkgconfig" for lib in libs] + [f"{p}/share/pkgconfig" for p in prefixes]
        ),
        lib_dirs=existing(libs),
        include_dirs=existing(
            [f"{p}/include/{triplet}" for p in prefixes] + [f"{p}/include" for p in prefixes]
        ),
    )


def ensure_pc_files(
    libraries: Sequence[LibrarySpec],
    *,
    executor: Executor,
    layout: Layout,
    out_dir: Path,
    distro: Distro,
) -> list[Path]:
    """Write a .pc file into ``out_dir`` for each library that has none in ``layout``."""
    written = []
    for library in libraries:
        if _find_pc(library, executor, layout):
            continue
        lib_file = _find_library(library, executor, layout)
        if lib_file is None:
            msg = (
                f"{library.name} is not in the target environment: no {library.pkgconfig}.pc in "
                f"{_short(layout.pkgconfig_dirs)} and no lib{library.lib}.so* in "
                f"{_short(layout.lib_dirs)}; install it: "
                f"{distro.install_command(_package_for(library, distro))}"
            )
            raise EnvError(msg)
        include_dir = _find_include_dir(library, executor, layout)
        out_dir.mkdir(parents=True, exist_ok=True)
        pc = out_dir / f"{library.pkgconfig}.pc"
        pc.write_text(render_pc(library, lib_file, include_dir))
        written.append(pc)
    return written


def render_pc(library: LibrarySpec, lib_file: str, include_dir: str | None) -> str:
    libdir, _, filename = lib_file.rpartition("/")
    # A runtime-only package has libfoo.so.0 but no libfoo.so; -l:NAME links that file directly.
    link = f"-l{library.lib}" if filename == f"lib{library.lib}.so" else f"-l:{filename}"
    lines = [
        "# Written by rvwheels: the target's package ships no .pc file for this library.",
        f"libdir={libdir}",
        f"Name: {library.pkgconfig}",
        f"Description: {library.name} (found at {lib_file})",
        "Version: 0",
        f"Libs: -L${{libdir}} {link}",
    ]
    if include_dir:
        lines.insert(2, f"includedir={include_dir}")
        lines.append("Cflags: -I${includedir}")
    return "\n".join(lines) + "\n"


def find_library_files(
    library: LibrarySpec, executor: Executor, layout: Layout
) -> tuple[str | None, str | None]:
    """Where ``library``'s .pc file and shared library are in ``layout`` (None: not found)."""
    return _find_pc(library, executor, layout), _find_library(library, executor, layout)


def _find_pc(library: LibrarySpec, executor: Executor, layout: Layout) -> str | None:
    for d in layout.pkgconfig_dirs:
        if executor.host_path(f"{d}/{library.pkgconfig}.pc").is_file():
            return f"{d}/{library.pkgconfig}.pc"
    return None


def _find_library(library: LibrarySpec, executor: Executor, layout: Layout) -> str | None:
    for d in layout.lib_dirs:
        host_dir = executor.host_path(d)
        names = sorted(p.name for p in host_dir.glob(f"lib{library.lib}.so*"))
        if f"lib{library.lib}.so" in names:
            return f"{d}/lib{library.lib}.so"
        if names:
            return f"{d}/{names[0]}"
    return None


def _find_include_dir(library: LibrarySpec, executor: Executor, layout: Layout) -> str | None:
    if not library.headers:
        return None
    header = library.headers[0]
    for d in layout.include_dirs:
        host_dir = executor.host_path(d)
        if (host_dir / header).is_file():
            return d
        # Distributions often put a library's headers in a subfolder (include/openblas/).
        for sub in sorted(host_dir.glob(f"*/{header}")):
            return f"{d}/{sub.parent.name}"
    return None


def _package_for(library: LibrarySpec, distro: Distro) -> str:
    if distro.family == "rpm" and library.rpm:
        return library.rpm
    return library.debian or library.pkgconfig


def _short(dirs: Sequence[str]) -> str:
    return ", ".join(dirs) if dirs else "(no library folders found)"
