"""Write an unpacked, wheel-like tree as a correct wheel under a new name, version and tag.

The tree holds the packages and at most one ``*.dist-info`` (a wheel unpacked with
``unpack_wheel``), or none (a tree copied out of Debian packages). The wheel gets a
``{name}-{version}.dist-info`` with METADATA's Name/Version (and optionally Requires-Dist)
rewritten, a fresh WHEEL and a fresh RECORD. Files are streamed into the zip with the stdlib
rather than through ``wheel.wheelfile.WheelFile``, which reads each file whole into memory
(libtorch_cpu.so alone is 190 MB) and stamps RECORD with the current time unless
SOURCE_DATE_EPOCH is set. Output is deterministic: sorted entries, one fixed timestamp,
normalised modes.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import os
import re
import stat
import time
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath

from packaging.requirements import InvalidRequirement, Requirement
from packaging.tags import parse_tag
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from rvwheels.errors import BuildError, RecipeError

CHUNK = 1 << 20
ZIP_EPOCH = 315532800  # 1980-01-01, the earliest time a zip entry can hold
NAME_RE = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)
REQUIREMENT_NAME_RE = re.compile(r"^\s*([A-Z0-9][A-Z0-9._-]*)", re.IGNORECASE)
# Written by installers, not part of a wheel; RECORD is regenerated.
DROPPED_DIST_INFO = frozenset(
    {"RECORD", "RECORD.jws", "RECORD.p7s", "INSTALLER", "REQUESTED", "direct_url.json"}
)


def unpack_wheel(wheel: Path, dest: Path) -> Path:
    """Extract ``wheel`` into ``dest`` (keeping executable bits); return ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheel) as zf:
        for info in zf.infolist():
            if info.is_dir():
                continue
            _check_member_name(info.filename, wheel)
            target = Path(zf.extract(info, dest))
            if (info.external_attr >> 16) & 0o111:
                target.chmod(0o755)
    return dest


def rewrap_wheel(
    src_tree: Path,
    out_dir: Path,
    *,
    name: str,
    version: str,
    tag: str,
    requires_dist: Sequence[str] | None = None,
    drop_requires: Sequence[str] = (),
    extra_dist_info: Mapping[str, str] | None = None,
    epoch: int | None = None,
) -> Path:
    """Write ``src_tree`` as ``{name}-{version}-{tag}.whl`` in ``out_dir``; return its path.

    ``requires_dist`` replaces the tree's Requires-Dist when given; ``drop_requires`` removes
    requirements by project name. ``extra_dist_info`` adds files to the .dist-info (e.g.
    ``entry_points.txt``). ``epoch`` is the timestamp of every entry (default: the
    SOURCE_DATE_EPOCH variable, else 1980-01-01).
    """
    version = _checked_version(version)
    filename = wheel_filename(name, version, tag)
    dist_info = f"{_dist_name(name)}-{version}.dist-info"
    old_dist_info = _find_dist_info(src_tree)
    metadata = _metadata_text(src_tree / old_dist_info if old_dist_info else None)
    generated = {
        "METADATA": rewrite_metadata(
            metadata,
            name=name,
            version=version,
            requires_dist=requires_dist,
            drop_requires=drop_requires,
        ),
        "WHEEL": wheel_text(tag),
        **(extra_dist_info or {}),
    }
    entries = _tree_entries(src_tree, old_dist_info, dist_info)
    entries += _dist_info_entries(src_tree, old_dist_info, dist_info, generated)
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / filename
    partial = out.with_name(out.name + ".part")
    try:
        _write_wheel(partial, entries, record=f"{dist_info}/RECORD", epoch=_epoch(epoch))
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(out)
    return out


def wheel_filename(name: str, version: str, tag: str) -> str:
    """``{name}-{version}-{tag}.whl`` with the name normalised as the wheel spec asks."""
    if not NAME_RE.match(name):
        msg = f"adopt: '{name}' is not a valid project name; use letters, digits, '.', '-', '_'"
        raise RecipeError(msg)
    _check_tag(tag)
    filename = f"{_dist_name(name)}-{_checked_version(version)}-{tag}.whl"
    try:
        parse_wheel_filename(filename)
    except InvalidWheelFilename as exc:
        msg = f"adopt: cannot name the wheel {filename} ({exc}); fix the name, version or tag"
        raise RecipeError(msg) from None
    return filename


def rewrite_metadata(
    text: str | None,
    *,
    name: str,
    version: str,
    requires_dist: Sequence[str] | None = None,
    drop_requires: Sequence[str] = (),
) -> str:
    """METADATA with Name/Version set and Requires-Dist replaced or filtered.

    Fields are edited as lines, so every other field (continuation lines included, and
    Metadata-Version) keeps its text and order, and the description body is copied verbatim.
    Without ``text`` a Metadata-Version 2.1 file is written fresh.
    """
    drop = {canonicalize_name(d) for d in drop_requires}
    new_requires = [r for r in _checked_requirements(requires_dist or ()) if not _dropped(r, drop)]
    fields, body = _split_metadata(text or "Metadata-Version: 2.1\n")
    out: list[str] = []
    placed = requires_dist is None
    for field in fields:
        key = field[0].split(":", 1)[0].strip().lower()
        value = "\n".join(field).split(":", 1)[-1]
        if key in ("name", "version"):
            continue
        if key == "requires-dist" and not placed:
            out += [f"Requires-Dist: {r}" for r in new_requires]
            placed = True
        elif key == "requires-dist" and (requires_dist is not None or _dropped(value, drop)):
            continue
        else:
            out += field
        if key == "metadata-version":
            out += [f"Name: {name}", f"Version: {version}"]
    if not placed:
        out += [f"Requires-Dist: {r}" for r in new_requires]
    return "\n".join(out) + "\n" + (f"\n{body}" if body else "")


def wheel_text(tag: str) -> str:
    """The WHEEL file: one Tag line per tag of a (possibly compressed) tag set."""
    tags = sorted(str(t) for t in _check_tag(tag))
    lines = ["Wheel-Version: 1.0", "Generator: rvwheels", "Root-Is-Purelib: false"]
    return "\n".join([*lines, *(f"Tag: {t}" for t in tags)]) + "\n"


def _split_metadata(text: str) -> tuple[list[list[str]], str]:
    """Header fields (each its first line plus continuation lines) and the body, verbatim."""
    head, _, body = text.partition("\n\n")
    fields: list[list[str]] = []
    for line in head.splitlines():
        if line[:1] in (" ", "\t") and fields:
            fields[-1].append(line)
        elif line:
            fields.append([line])
    if not any(f[0].lower().startswith("metadata-version:") for f in fields):
        fields.insert(0, ["Metadata-Version: 2.1"])
    return fields, body


def _dropped(requirement: str, drop: set[str]) -> bool:
    match = REQUIREMENT_NAME_RE.match(requirement)
    return match is not None and canonicalize_name(match.group(1)) in drop


def _checked_requirements(requirements: Sequence[str]) -> list[str]:
    for requirement in requirements:
        try:
            Requirement(requirement)
        except InvalidRequirement as exc:
            reason = str(exc).splitlines()[0]  # packaging adds a caret diagram below
            msg = f"adopt: Requires-Dist '{requirement}' is not a PEP 508 requirement ({reason})"
            raise RecipeError(msg) from None
    return list(requirements)


def _checked_version(version: str) -> str:
    try:
        return str(Version(version))
    except InvalidVersion:
        msg = f"adopt: version '{version}' is not a PEP 440 version (e.g. 2.6.0); fix the recipe"
        raise RecipeError(msg) from None


def _check_tag(tag: str):
    try:
        return parse_tag(tag)
    except ValueError:
        msg = (
            f"adopt: '{tag}' is not a wheel tag; write python-abi-platform, "
            "e.g. cp311-cp311-linux_riscv64"
        )
        raise RecipeError(msg) from None


def _dist_name(name: str) -> str:
    return canonicalize_name(name).replace("-", "_")


def _find_dist_info(tree: Path) -> str | None:
    found = sorted(p.name for p in tree.iterdir() if p.is_dir() and p.name.endswith(".dist-info"))
    if len(found) > 1:
        msg = f"{tree} holds {len(found)} .dist-info folders ({', '.join(found)}); keep only one"
        raise BuildError(msg)
    return found[0] if found else None


def _metadata_text(dist_info: Path | None) -> str | None:
    if dist_info is None or not (dist_info / "METADATA").is_file():
        return None
    return (dist_info / "METADATA").read_text(encoding="utf-8")


Entry = tuple[str, Path | bytes]


def _tree_entries(tree: Path, old_dist_info: str | None, dist_info: str) -> list[Entry]:
    """Every file outside the .dist-info; the ``{old}.data`` folder follows the new name."""
    old_data = old_dist_info.removesuffix(".dist-info") + ".data" if old_dist_info else None
    new_data = dist_info.removesuffix(".dist-info") + ".data"
    entries: list[Entry] = []
    for arcname, path in _walk(tree):
        top, _, rest = arcname.partition("/")
        if top == old_dist_info:
            continue
        entries.append((f"{new_data}/{rest}" if top == old_data else arcname, path))
    return sorted(entries, key=lambda e: e[0])


def _dist_info_entries(
    tree: Path, old_dist_info: str | None, dist_info: str, generated: Mapping[str, str]
) -> list[Entry]:
    files: dict[str, Path | bytes] = {}
    if old_dist_info:
        for arcname, path in _walk(tree / old_dist_info):
            if arcname not in DROPPED_DIST_INFO:
                files[arcname] = path
    files.update({k: v.encode() for k, v in generated.items()})
    return [(f"{dist_info}/{k}", files[k]) for k in sorted(files)]


def _walk(tree: Path):
    """(posix relative path, path) of every file; a symlink cannot go into a wheel."""
    for dirpath, dirnames, filenames in os.walk(tree):
        dirnames.sort()
        for name in [*dirnames, *filenames]:
            path = Path(dirpath, name)
            if path.is_symlink():
                rel = path.relative_to(tree)
                msg = (
                    f"{rel} in {tree} is a symlink to {os.readlink(path)}, which a wheel cannot "
                    "hold; copy the real file into the tree"
                )
                raise BuildError(msg)
        for name in sorted(filenames):
            path = Path(dirpath, name)
            yield path.relative_to(tree).as_posix(), path


def _write_wheel(out: Path, entries: list[Entry], *, record: str, epoch: int) -> None:
    date_time = time.gmtime(max(epoch, ZIP_EPOCH))[:6]
    rows: list[tuple[str, str, str]] = []
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for arcname, source in entries:
            digest, size = _add(zf, arcname, source, date_time)
            rows.append((arcname, f"sha256={digest}", str(size)))
        rows.append((record, "", ""))
        text = io.StringIO()
        csv.writer(text, lineterminator="\n").writerows(rows)
        _add(zf, record, text.getvalue().encode(), date_time)


def _add(zf: zipfile.ZipFile, arcname: str, source: Path | bytes, date_time) -> tuple[str, int]:
    info = zipfile.ZipInfo(arcname, date_time=date_time)
    info.compress_type = zipfile.ZIP_DEFLATED
    executable = isinstance(source, Path) and os.stat(source).st_mode & 0o111
    info.external_attr = (stat.S_IFREG | (0o755 if executable else 0o644)) << 16
    digest = hashlib.sha256()
    size = 0
    if isinstance(source, bytes):
        info.file_size = len(source)
    else:
        info.file_size = source.stat().st_size
    with zf.open(info, "w") as out:
        stream = io.BytesIO(source) if isinstance(source, bytes) else source.open("rb")
        with stream:
            while chunk := stream.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
    return base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode(), size


def _epoch(epoch: int | None) -> int:
    if epoch is not None:
        return epoch
    return int(os.environ.get("SOURCE_DATE_EPOCH", ZIP_EPOCH))


def _check_member_name(name: str, wheel: Path) -> None:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or "\\" in name:
        msg = f"{wheel.name} holds the unsafe path '{name}'; refusing to unpack it"
        raise BuildError(msg)
