"""Make the shared libraries of an adopted tree find each other inside the wheel.

Debian installs torch's libraries in /usr/lib under versioned sonames (``libc10.so.2.6``) and
``torch/lib`` holds development links (``libc10.so``), copied as the real files when the tree was
taken out of the debs. Python code opens some of them by that file name (torch's ctypes load of
``lib/libtorch_global_deps.so``), so the file name stays and becomes the SONAME, as in PyPI's
torch wheels, and every file of the tree that needs the old soname is pointed at the new one.
A file needing a library of the tree also gets a RUNPATH to its folder: Debian relied on
/usr/lib, which a wheel does not have. The edits are planned here as patchelf arguments.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from rvwheels.adopt.elfcheck import ElfDynamic, read_dynamic


def patchelf_edits(elf_files: Sequence[Path]) -> dict[Path, list[list[str]]]:
    """The patchelf operations (arguments before the file name) each file needs, one per call:
    Debian 12's patchelf 0.14 garbles the string table when one call makes several edits.
    Files needing none are left out."""
    dynamics = {path: read_dynamic(path) for path in elf_files}
    renamed = {
        d.soname: path.name
        for path, d in dynamics.items()
        if d is not None and d.soname is not None and d.soname != path.name
    }
    by_name = {path.name: path for path in elf_files}
    edits: dict[Path, list[list[str]]] = {}
    for path, dynamic in dynamics.items():
        if dynamic is None:
            continue
        operations = [["--set-soname", path.name]] if dynamic.soname in renamed else []
        operations += [
            ["--replace-needed", old, renamed[old]] for old in dynamic.needed if old in renamed
        ]
        needed = [renamed.get(name, name) for name in dynamic.needed]
        runpath = _runpath_within(path, dynamic, [by_name[n] for n in needed if n in by_name])
        operations += [] if runpath is None else [["--set-rpath", runpath]]
        if operations:
            edits[path] = operations
    return edits


def _runpath_within(path: Path, dynamic: ElfDynamic, libraries: list[Path]) -> str | None:
    """The RUNPATH that reaches ``libraries`` (its own entries first, then ``$ORIGIN``-relative
    folders), or None when the current one already does."""
    reachable = {_expand_origin(entry, path.parent) for entry in dynamic.runpath}
    missing = [lib.parent for lib in libraries if lib.parent.resolve() not in reachable]
    if not missing:
        return None
    added = [_origin_relative(folder, path.parent) for folder in dict.fromkeys(missing)]
    return ":".join(dict.fromkeys([*dynamic.runpath, *added]))


def _expand_origin(entry: str, origin: Path) -> Path:
    expanded = entry.replace("${ORIGIN}", "$ORIGIN").replace("$ORIGIN", str(origin))
    return Path(os.path.normpath(expanded)).resolve()


def _origin_relative(folder: Path, origin: Path) -> str:
    relative = os.path.relpath(folder, origin)
    return "$ORIGIN" if relative == "." else f"$ORIGIN/{relative}"
