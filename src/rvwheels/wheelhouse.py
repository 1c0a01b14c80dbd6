"""The wheelhouse: published wheels, their build records and a PEP 503 index over them.

Layout under ``root``::

    NAME-VERSION-TAGS.whl             the wheels, as pip downloads them
    records/NAME-VERSION-TAGS.whl.json  one build record per wheel
    simple/index.html                 PEP 503 root page, one link per project
    simple/<normalised name>/index.html  one link per wheel: ../../FILE.whl#sha256=HEX
    .lock                             flock'ed for every write, so parallel jobs can publish

Every file is written to a temporary file in its own folder and moved into place with
``os.replace``: wheel first, then record, then index pages. A reader therefore never sees a
partial file, and the index never names a missing wheel or a wheel with another sha256 (a
wheel that replaces one with other bytes is first taken out of the index). A publish that dies
part-way leaves the new wheel unindexed until the next publish or ``rebuild_index``.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import html
import json
import os
import re
import shutil
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from email.parser import HeaderParser
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote

from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename

from rvwheels.errors import WheelhouseError
from rvwheels.hashing import sha256_file
from rvwheels.locks import exclusive

RECORD_FORMAT_VERSION = 1
LOCK_NAME = ".lock"
TEMP_PREFIX = ".rvwheels-tmp-"
RESERVED_RECORD_KEYS = ("version", "wheel", "sha256", "published")
_DIST_INFO_WHEEL = re.compile(r"^[^/]+\.dist-info/WHEEL$")
_CHUNK = 1 << 20


@dataclass(frozen=True, kw_only=True)
class WheelFacts:
    """What the index needs to know about one wheel file."""

    path: Path
    project: str  # PEP 503 normalised
    sha256: str
    requires_python: str | None


def read_wheel(path: Path) -> WheelFacts:
    """Check that ``path`` is a wheel (name, zip, ``*.dist-info/WHEEL``) and read its facts."""
    path = Path(path)
    try:
        name, _version, _build, _tags = parse_wheel_filename(path.name)
    except InvalidWheelFilename as exc:
        msg = f"{path} is not a wheel: {exc}; pass a NAME-VERSION-PY-ABI-PLATFORM.whl file"
        raise WheelhouseError(msg) from None
    if not path.is_file():
        msg = f"{path} does not exist or is not a file; pass the path of a built wheel"
        raise WheelhouseError(msg)
    try:
        with zipfile.ZipFile(path) as archive:
            requires_python = _requires_python(archive, path)
    except (zipfile.BadZipFile, OSError) as exc:
        msg = f"{path} is not a readable zip archive ({exc}); rebuild the wheel"
        raise WheelhouseError(msg) from None
    return WheelFacts(
        path=path,
        project=canonicalize_name(name),
        sha256=sha256_file(path),
        requires_python=requires_python,
    )


def _requires_python(archive: zipfile.ZipFile, path: Path) -> str | None:
    wheel_files = [n for n in archive.namelist() if _DIST_INFO_WHEEL.match(n)]
    if not wheel_files:
        msg = f"{path} has no *.dist-info/WHEEL file; rebuild it with a PEP 517 backend"
        raise WheelhouseError(msg)
    metadata_name = wheel_files[0].removesuffix("WHEEL") + "METADATA"
    if metadata_name not in archive.namelist():
        return None
    text = archive.read(metadata_name).decode("utf-8", errors="replace")
    value = HeaderParser().parsestr(text).get("Requires-Python")
    return value.strip() if value and value.strip() else None


class Wheelhouse:
    """A folder of published wheels; every write holds an exclusive lock on ``root/.lock``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.records_dir = self.root / "records"
        self.simple_dir = self.root / "simple"

    def publish(self, wheel: Path, record: Mapping[str, object]) -> Path:
        """Copy ``wheel`` in, write its record, regenerate the index; return the published path."""
        return self.publish_many([(wheel, record)])[0]

    def publish_many(self, items: Sequence[tuple[Path, Mapping[str, object]]]) -> list[Path]:
        """Publish several wheels under one lock with one index rebuild.

        Every wheel and record is checked before anything is written, so a bad item leaves the
        wheelhouse unchanged. The caller's ``version`` key (the package version) is stored as
        ``package_version``, because ``version`` is the record format version.
        """
        if not items:
            return []
        pairs = [(Path(wheel), record) for wheel, record in items]
        for source, _ in pairs:
            read_wheel(source)
        _reject_duplicates([source for source, _ in pairs])
        prepared = [(source, _new_record(source.name, record)) for source, record in pairs]
        with self._locked():
            return self._install(prepared, keep_published=False)

    def merge(self, other: Path) -> list[Path]:
        """Copy another wheelhouse's wheels and records in (CI fan-in); return the paths here.

        Records are copied as they are. A wheel with the name of one already here replaces it,
        as ``publish`` would.
        """
        source = Wheelhouse(other)
        if not source.root.is_dir():
            msg = f"cannot merge {source.root}: no such folder; pass a wheelhouse folder"
            raise WheelhouseError(msg)
        if source.root.resolve() == self.root.resolve():
            msg = f"cannot merge {self.root} into itself; pass another wheelhouse"
            raise WheelhouseError(msg)
        items = [(wheel, source._merged_record(wheel)) for wheel in source.wheels()]
        for wheel, _ in items:
            read_wheel(wheel)
        with self._locked():
            return self._install(items, keep_published=True)

    def wheels(self) -> list[Path]:
        """The published wheels, sorted by path."""
        if not self.root.is_dir():
            return []
        return sorted(p for p in self.root.glob("*.whl") if p.is_file())

    def wheels_for_python(self, version: str) -> list[Path]:
        """The wheels a CPython ``version`` ("3.11") can use: its own (cp311) and those for any
        Python (py3-none, e.g. OpenBLAS). A wheelhouse may hold several Pythons' wheels."""
        interpreter = f"cp{version.replace('.', '')}"
        return [
            wheel
            for wheel in self.wheels()
            if any(
                t.interpreter == interpreter or t.abi == "none"
                for t in parse_wheel_filename(wheel.name)[3]
            )
        ]

    def record(self, wheel_name: str) -> dict | None:
        """The build record of the wheel called ``wheel_name``, or None if it has none."""
        if Path(wheel_name).name != wheel_name:
            msg = f"'{wheel_name}' is not a wheel file name; pass e.g. 'numpy-2.4.6-….whl'"
            raise WheelhouseError(msg)
        path = self.records_dir / f"{wheel_name}.json"
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            msg = f"{path} is unreadable ({exc}); delete it and publish {wheel_name} again"
            raise WheelhouseError(msg) from None

    def rebuild_index(self) -> None:
        """Regenerate ``simple/`` from the wheels on disk."""
        with self._locked():
            self._write_index(self.wheels())

    def snapshot(self) -> dict[str, str]:
        """Relative POSIX path -> sha256 of every file in the wheelhouse."""
        if not self.root.is_dir():
            return {}
        files = (p for p in self.root.rglob("*") if p.is_file())
        return {p.relative_to(self.root).as_posix(): sha256_file(p) for p in sorted(files)}

    # -- writing (callers hold the lock) --------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            (self.root / LOCK_NAME).touch()
        except OSError as exc:
            msg = f"cannot create the wheelhouse lock in {self.root} ({exc}); check permissions"
            raise WheelhouseError(msg) from None
        with exclusive(self.root / LOCK_NAME):
            self._remove_stale_temp_files()
            yield

    def _install(self, items: list[tuple[Path, dict]], *, keep_published: bool) -> list[Path]:
        try:
            self._unindex_replaced(items)
            published = [self._install_one(w, r, keep_published=keep_published) for w, r in items]
            self._write_index(self.wheels())
        except OSError as exc:
            msg = f"publishing into {self.root} failed ({exc}); fix the cause and publish again"
            raise WheelhouseError(msg) from None
        return published

    def _unindex_replaced(self, items: list[tuple[Path, dict]]) -> None:
        # The old index must never name a file whose bytes are about to change under it.
        replaced = {self.root / w.name for w, _ in items if self._differs(w)}
        if replaced:
            self._write_index([w for w in self.wheels() if w not in replaced])
            for wheel in replaced:
                (self.records_dir / f"{wheel.name}.json").unlink(missing_ok=True)

    def _differs(self, source: Path) -> bool:
        target = self.root / source.name
        if not target.exists() or source.resolve() == target.resolve():
            return False
        return sha256_file(target) != sha256_file(source)

    def _install_one(self, source: Path, record: dict, *, keep_published: bool) -> Path:
        target = self.root / source.name
        digest = _atomic_copy(source, target)
        stamp = {"version": RECORD_FORMAT_VERSION, "wheel": target.name, "sha256": digest}
        if not (keep_published and "published" in record):
            stamp["published"] = _utc_now()
        full = {**record, **stamp}
        self.records_dir.mkdir(exist_ok=True)
        record_text = json.dumps(full, indent=2, ensure_ascii=False) + "\n"
        _atomic_write(self.records_dir / f"{target.name}.json", record_text)
        return target

    def _merged_record(self, wheel: Path) -> dict:
        record = self.record(wheel.name) or {}
        claimed = record.get("sha256")
        if claimed is not None and claimed != sha256_file(wheel):
            msg = (
                f"{self.records_dir / (wheel.name + '.json')} names sha256 {claimed} but "
                f"{wheel} differs; rebuild and republish that wheel before merging"
            )
            raise WheelhouseError(msg)
        return record

    def _write_index(self, wheels: list[Path]) -> None:
        by_project: dict[str, list[WheelFacts]] = {}
        for wheel in wheels:
            facts = read_wheel(wheel)
            by_project.setdefault(facts.project, []).append(facts)
        for project, entries in by_project.items():
            page = self.simple_dir / project / "index.html"
            page.parent.mkdir(parents=True, exist_ok=True)
            _atomic_write(page, render_project_page(project, entries))
        self.simple_dir.mkdir(parents=True, exist_ok=True)
        _atomic_write(self.simple_dir / "index.html", render_root_page(sorted(by_project)))
        self._remove_unlisted_projects(set(by_project))

    def _remove_unlisted_projects(self, listed: set[str]) -> None:
        # Only after the root page stopped naming them, so no link ever dangles.
        for folder in self.simple_dir.iterdir():
            if folder.is_dir() and folder.name not in listed:
                shutil.rmtree(folder)

    def _remove_stale_temp_files(self) -> None:
        # Under the lock nobody else is writing, so any temp file is left over from a killed run.
        folders = [self.root, self.records_dir, self.simple_dir]
        if self.simple_dir.is_dir():
            folders += [p for p in self.simple_dir.iterdir() if p.is_dir()]
        for folder in folders:
            for stale in folder.glob(f"{TEMP_PREFIX}*"):
                stale.unlink(missing_ok=True)


def render_project_page(project: str, entries: Sequence[WheelFacts]) -> str:
    """The PEP 503 page of one project; links are relative to ``simple/<project>/``."""
    links = []
    for facts in sorted(entries, key=lambda f: f.path.name):
        href = f"../../{quote(facts.path.name)}#sha256={facts.sha256}"
        attrs = f'href="{html.escape(href)}"'
        if facts.requires_python:
            attrs += f' data-requires-python="{html.escape(facts.requires_python)}"'
        links.append(f"    <a {attrs}>{html.escape(facts.path.name)}</a><br>")
    return _page(f"Links for {project}", links)


def render_root_page(projects: Sequence[str]) -> str:
    """The PEP 503 root page: one link per normalised project name."""
    links = [f'    <a href="{quote(p)}/">{html.escape(p)}</a><br>' for p in projects]
    return _page("Simple index", links)


def _page(title: str, links: list[str]) -> str:
    head = [
        "<!DOCTYPE html>",
        "<html>",
        "  <head>",
        '    <meta name="pypi:repository-version" content="1.0">',
        f"    <title>{html.escape(title)}</title>",
        "  </head>",
        "  <body>",
        f"    <h1>{html.escape(title)}</h1>",
    ]
    return "\n".join([*head, *links, "  </body>", "</html>", ""])


def _new_record(wheel_name: str, record: Mapping[str, object]) -> dict:
    fields = dict(record)
    if "version" in fields:
        fields["package_version"] = fields.pop("version")
    for key in RESERVED_RECORD_KEYS:
        fields.pop(key, None)
    try:
        json.dumps(fields)
    except (TypeError, ValueError) as exc:
        msg = f"the record for {wheel_name} cannot be stored as JSON ({exc}); pass plain values"
        raise WheelhouseError(msg) from None
    return fields


def _reject_duplicates(sources: list[Path]) -> None:
    seen: set[str] = set()
    for source in sources:
        if source.name in seen:
            msg = f"{source.name} is listed twice in one publish; pass each wheel once"
            raise WheelhouseError(msg)
        seen.add(source.name)


def _atomic_copy(source: Path, target: Path) -> str:
    """Copy ``source`` to ``target`` via a temp file in target's folder; return the sha256."""
    digest = hashlib.sha256()
    with _temp_file(target) as out, source.open("rb") as src:
        while chunk := src.read(_CHUNK):
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest()


def _atomic_write(target: Path, text: str) -> None:
    with _temp_file(target) as out:
        out.write(text.encode("utf-8"))


@contextlib.contextmanager
def _temp_file(target: Path) -> Iterator[BinaryIO]:
    """Yield a binary file that replaces ``target`` on success and vanishes on failure."""
    temp = target.with_name(f"{TEMP_PREFIX}{os.getpid()}-{os.urandom(4).hex()}-{target.name}")
    try:
        with temp.open("xb") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)


def _utc_now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
