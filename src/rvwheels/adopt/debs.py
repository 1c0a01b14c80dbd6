"""Unpack Debian packages and copy a Python tree out of them with every link resolved.

A .deb is an ``ar`` archive whose ``data.tar.*`` holds the files; both are read with the
stdlib (trixie's riscv64 torch packages use xz; zstd, which Python 3.11 cannot read, is
refused with a clear message rather than pulling in a dependency no known input needs).
Debian's python3-torch links ``torch/lib/libtorch_cpu.so`` to ``/usr/lib/riscv64-linux-gnu``
(another package) and ``torch/include`` to ``/usr/include`` (libtorch-dev). Such links are
resolved inside the unpacked root, never on the host, and the real files are copied, since a
wheel cannot hold a link.
"""

from __future__ import annotations

import fnmatch
import os
import shutil
import tarfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from rvwheels.environment.executor import resolve_in_root
from rvwheels.errors import BuildError

AR_MAGIC = b"!<arch>\n"
AR_HEADER_SIZE = 60
TAR_MODES = {
    "data.tar": "r|",
    "data.tar.xz": "r|xz",
    "data.tar.gz": "r|gz",
    "data.tar.bz2": "r|bz2",
}
METADATA_SUFFIXES = (".egg-info", ".dist-info")


@dataclass(frozen=True, kw_only=True)
class DebPythonTree:
    """A wheel-like tree copied out of extracted debs, plus what Debian's metadata says."""

    path: Path
    version: str | None
    requires_dist: tuple[str, ...]
    entry_points: str | None
    metadata_source: str | None


def extract_debs(debs: Sequence[Path], dest: Path) -> Path:
    """Unpack the data of every .deb into ``dest`` (replaced if it exists); return ``dest``.

    Later packages overwrite files of earlier ones, as ``dpkg --force-overwrite`` would.
    """
    partial = dest.with_name(dest.name + ".part")
    _remove(partial)
    partial.mkdir(parents=True)
    for deb in debs:
        _extract_data(deb, partial)
    _remove(dest)
    partial.rename(dest)
    return dest


def python_tree_from_debs(
    root: Path,
    *,
    site: str = "usr/lib/python3/dist-packages",
    packages: Sequence[str],
    dest: Path | None = None,
    exclude: Sequence[str] = (),
) -> DebPythonTree:
    """Copy the top-level ``packages`` out of ``root/site`` into a wheel-like tree.

    Every link is followed inside ``root`` and the real file copied; ``__pycache__`` folders
    are left out, and so is every path (relative to ``site``) matching an ``exclude`` pattern,
    e.g. ``torch/include`` when the headers' package is not among the debs. The tree goes to
    ``dest`` (default: ``{root}-python`` beside ``root``), replaced if it exists.
    """
    site_dir = root / site
    if not site_dir.is_dir():
        msg = f"the extracted debs have no {site}; name the .deb of the Python package in sources"
        raise BuildError(msg)
    dest = dest if dest is not None else root.with_name(root.name + "-python")
    _remove(dest)
    dest.mkdir(parents=True)
    copier = _Copier(root=root, site=PurePosixPath("/", site), exclude=tuple(exclude))
    for package in packages:
        if not os.path.lexists(site_dir / package):
            found = ", ".join(sorted(os.listdir(site_dir))) or "nothing"
            msg = f"'{package}' is not in {site} of the extracted debs (found: {found})"
            raise BuildError(msg)
        copier.copy(package, dest / package)
    return _with_metadata(dest, site_dir, packages)


def read_ar_members(deb: Path) -> dict[str, tuple[int, int]]:
    """Member name -> (offset, size) of an ``ar`` archive."""
    members: dict[str, tuple[int, int]] = {}
    with deb.open("rb") as f:
        if f.read(len(AR_MAGIC)) != AR_MAGIC:
            msg = f"{deb} is not a .deb (no ar header); check the file the recipe names"
            raise BuildError(msg)
        while len(header := f.read(AR_HEADER_SIZE)) == AR_HEADER_SIZE:
            if header[58:60] != b"`\n":
                msg = f"{deb} has a damaged ar header at byte {f.tell() - AR_HEADER_SIZE}"
                raise BuildError(msg)
            name = header[:16].decode("ascii", "replace").rstrip().rstrip("/")
            size = int(header[48:58])
            members[name] = (f.tell(), size)
            f.seek(size + (size & 1), os.SEEK_CUR)  # members are padded to even offsets
    return members


def _extract_data(deb: Path, dest: Path) -> None:
    members = read_ar_members(deb)
    data = next((n for n in members if n.startswith("data.tar")), None)
    if data is None:
        msg = f"{deb} has no data.tar member (members: {', '.join(members)}); is it a .deb?"
        raise BuildError(msg)
    if data not in TAR_MODES:
        msg = (
            f"{deb} stores its files as {data}, which Python's stdlib cannot read; "
            "repack it with xz (dpkg-deb -Zxz) or teach rvwheels.adopt.debs that format"
        )
        raise BuildError(msg)
    offset, size = members[data]
    with deb.open("rb") as f:
        f.seek(offset)
        try:
            with tarfile.open(fileobj=_Slice(f, size), mode=TAR_MODES[data]) as tf:
                # "tar" keeps Debian's absolute symlinks (we resolve them in the root later)
                # but refuses members that would land outside dest.
                tf.extractall(dest, filter="tar")
        except (tarfile.TarError, EOFError, OSError) as exc:
            msg = f"cannot unpack {data} of {deb} ({exc}); download the .deb again"
            raise BuildError(msg) from None


class _Slice:
    """The bytes of one ar member, as a stream tarfile can read."""

    def __init__(self, f, size: int) -> None:
        self._f = f
        self._left = size

    def read(self, n: int = -1) -> bytes:
        n = self._left if n < 0 or n > self._left else n
        data = self._f.read(n)
        self._left -= len(data)
        return data


@dataclass(frozen=True, kw_only=True)
class _Copier:
    root: Path
    site: PurePosixPath
    exclude: tuple[str, ...]

    def copy(self, rel: str, target: Path, visiting: frozenset[Path] = frozenset()) -> None:
        """Copy ``site/rel`` (file or folder, links followed in the root) to ``target``."""
        if self._skipped(rel):
            return
        real = self._resolve(rel)
        if real.is_dir():
            if real in visiting:
                msg = f"{self.site / rel} is a symlink loop; exclude it or fix the package"
                raise BuildError(msg)
            target.mkdir(exist_ok=True)
            for child in sorted(os.listdir(real)):
                self.copy(f"{rel}/{child}", target / child, visiting | {real})
            return
        shutil.copyfile(real, target)
        target.chmod(0o755 if real.stat().st_mode & 0o111 else 0o644)

    def _skipped(self, rel: str) -> bool:
        if PurePosixPath(rel).name == "__pycache__":
            return True
        return any(rel == p or fnmatch.fnmatchcase(rel, p) for p in self.exclude)

    def _resolve(self, rel: str) -> Path:
        inner = self.site / rel
        real = resolve_in_root(self.root, str(inner))
        if real.is_symlink():
            msg = f"{inner} is a symlink loop in the extracted debs; exclude '{rel}'"
            raise BuildError(msg)
        if not real.exists():
            # Where the entry itself lives, its parent's links followed inside the root.
            entry = resolve_in_root(self.root, str(inner.parent)) / inner.name
            points_to = os.readlink(entry) if entry.is_symlink() else "?"
            missing = PurePosixPath("/", real.relative_to(self.root))
            msg = (
                f"{inner} links to {points_to}, but {missing} is not in the extracted debs; "
                f"add the .deb that provides it to the recipe's sources (or exclude '{rel}')"
            )
            raise BuildError(msg)
        return real


def _with_metadata(tree: Path, site_dir: Path, packages: Sequence[str]) -> DebPythonTree:
    """Read Requires-Dist and entry points from Debian's egg-info or dist-info of ``packages``."""
    source = _metadata_dir(site_dir, packages)
    if source is None:
        return DebPythonTree(
            path=tree, version=None, requires_dist=(), entry_points=None, metadata_source=None
        )
    text = _read_metadata_file(source)
    fields = _header_fields(text)
    entry_points = source / "entry_points.txt" if source.is_dir() else None
    return DebPythonTree(
        path=tree,
        version=next((v for k, v in fields if k == "version"), None),
        requires_dist=tuple(v for k, v in fields if k == "requires-dist"),
        entry_points=entry_points.read_text() if entry_points and entry_points.is_file() else None,
        metadata_source=source.name,
    )


def _metadata_dir(site_dir: Path, packages: Sequence[str]) -> Path | None:
    """The egg-info/dist-info that names one of ``packages`` (by project or top_level.txt)."""
    wanted = {p.lower().replace("-", "_") for p in packages}
    for entry in sorted(site_dir.iterdir()):
        if not entry.name.endswith(METADATA_SUFFIXES):
            continue
        project = entry.name.split("-", 1)[0].split(".", 1)[0].lower().replace("-", "_")
        top_level = entry / "top_level.txt"
        listed = set(top_level.read_text().split()) if top_level.is_file() else set()
        if project in wanted or listed & set(packages):
            return entry
    return None


def _read_metadata_file(source: Path) -> str:
    if source.is_file():  # an egg-info may be a single PKG-INFO file
        return source.read_text(encoding="utf-8")
    for name in ("METADATA", "PKG-INFO"):
        if (source / name).is_file():
            return (source / name).read_text(encoding="utf-8")
    return ""


def _header_fields(text: str) -> list[tuple[str, str]]:
    head = text.partition("\n\n")[0]
    fields: list[tuple[str, str]] = []
    for line in head.splitlines():
        key, sep, value = line.partition(":")
        if sep and not line[:1].isspace():
            fields.append((key.strip().lower(), value.strip()))
    return fields


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path)
