"""The wheelhouse: published wheels, their build records and a PEP 503 index over them.

Layout under ``root``::

    NAME-VERSION-TAGS.whl             the wheels, as pip downloads them
    records/NAME-VERSION-TAGS.whl.json  one build record per wheel
    simple/index.html                 PEP 503 root page, one link per project
    simple/<normalised name>/index.html  one link per wheel: ../../FILE.whl#sha256=HEX
    .lock                             flock'ed for every write, so parallel jobs can publish

Every file is written to a temporary file (``.rvwheels-tmp-…``) in its own folder and moved
into place with ``os.replace``: wheels first, then records, then index pages. A reader (pip,
another rvwheels) therefore never sees a partial file, and no page ever disappears while its
project has wheels. The index never names a missing wheel or a wheel with another sha256: while
a wheel's bytes change under its name, its link carries no sha256 (pip gets the old or the new
file, whole). A publish that dies part-way leaves the new wheel unindexed (or its link without a
sha256) until the next publish or ``rebuild_index``, which also remove its temp files.

Hidden files are never wheels (a wheel's name starts with a letter or digit): ``wheels()`` skips
them, our temp files among them. Anything else named ``*.whl`` that is not a file or not named
like a wheel stops every command with an error that names it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import hashlib
import html
import json
import os
import re
import shutil
import zipfile
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from email.parser import HeaderParser
from pathlib import Path
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
_WHEEL_PATTERN = "NAME-VERSION-PY-ABI-PLATFORM.whl"


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
    name = _wheel_name(path, rename=f"pass a {_WHEEL_PATTERN} file", move="pass a built wheel")
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


def _wheel_name(path: Path, *, rename: str, move: str) -> str:
    """The project name in a wheel file's name; raise, with the given fix, unless ``path`` is
    named like a wheel (``rename``) and is a file (``move``)."""
    try:
        name = parse_wheel_filename(path.name)[0]
    except InvalidWheelFilename as exc:
        msg = f"{path} is not a wheel: {exc}; {rename}"
        raise WheelhouseError(msg) from None
    if not path.is_file():
        msg = f"{path} does not exist or is not a file (a folder, a broken link); {move}"
        raise WheelhouseError(msg)
    return name


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
        prepared = [(read_wheel(w), _new_record(Path(w).name, record)) for w, record in items]
        names = [facts.path.name for facts, _ in prepared]
        if twice := sorted({name for name in names if names.count(name) > 1}):
            msg = f"{', '.join(twice)} is listed twice in one publish; pass each wheel once"
            raise WheelhouseError(msg)
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
        items = [
            (facts, source._merged_record(facts)) for facts in map(read_wheel, source.wheels())
        ]
        with self._locked():
            return self._install(items, keep_published=True)

    def wheels(self) -> list[Path]:
        """The published wheels, sorted by path; hidden files (temp files) are skipped."""
        if not self.root.is_dir():
            return []
        found = sorted(p for p in self.root.glob("*.whl") if not p.name.startswith("."))
        out = "move it out of the wheelhouse"
        for path in found:
            _wheel_name(path, rename=f"rename it to {_WHEEL_PATTERN} or {out}", move=out)
        return found

    def wheels_for_python(self, version: str) -> list[Path]:
        """The wheels a CPython ``version`` ("3.11") can use: its own (cp311) and those for any
        Python (py3-none, e.g. OpenBLAS). A wheelhouse may hold several Pythons' wheels."""
        interpreter = f"cp{version.replace('.', '')}"

        def usable(tag) -> bool:
            return tag.interpreter == interpreter or tag.abi == "none"

        return [w for w in self.wheels() if any(map(usable, parse_wheel_filename(w.name)[3]))]

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
            self._write_index([read_wheel(wheel) for wheel in self.wheels()])

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
            try:
                self._remove_stale_temp_files()
                yield
            except OSError as exc:
                msg = f"publishing into {self.root} failed ({exc}); fix the cause and publish again"
                raise WheelhouseError(msg) from None

    def _install(self, items: list[tuple[WheelFacts, dict]], *, keep_published: bool) -> list[Path]:
        # Every wheel here is read before anything is written: junk in the folder stops us early.
        current = {facts.path.name: facts for facts in map(read_wheel, self.wheels())}
        self._unindex_replaced(current, [source for source, _ in items])
        published = []
        for source, record in items:
            target = self.root / source.path.name
            digest = atomic_write(target, _chunks(source.path))
            new = dataclasses.replace(source, path=target, sha256=digest)
            self._write_record(new, record, keep_published=keep_published)
            current[target.name] = new
            published.append(target)
        self._write_index(list(current.values()))
        return published

    def _unindex_replaced(self, current: Mapping[str, WheelFacts], new: list[WheelFacts]) -> None:
        # The index must never name a file whose bytes are about to change under it: until the
        # new bytes are in, the link stays (its page never vanishes) but without its sha256.
        # Written before the copies start, so a pip that read the old page just before has the
        # whole copy's time to fetch the old bytes.
        replaced = {n.path.name for n in new if current.get(n.path.name, n).sha256 != n.sha256}
        for project in {current[name].project for name in replaced}:
            entries = [facts for facts in current.values() if facts.project == project]
            self._write_project_page(project, entries, hashless=replaced)
        for name in replaced:
            (self.records_dir / f"{name}.json").unlink(missing_ok=True)

    def _write_record(self, wheel: WheelFacts, record: dict, *, keep_published: bool) -> None:
        stamp = {"version": RECORD_FORMAT_VERSION, "wheel": wheel.path.name, "sha256": wheel.sha256}
        if not (keep_published and "published" in record):
            stamp["published"] = _utc_now()
        self.records_dir.mkdir(exist_ok=True)
        text = json.dumps({**record, **stamp}, indent=2, ensure_ascii=False) + "\n"
        atomic_write(self.records_dir / f"{wheel.path.name}.json", [text.encode()])

    def _merged_record(self, wheel: WheelFacts) -> dict:
        record = self.record(wheel.path.name) or {}
        claimed = record.get("sha256")
        if claimed is not None and claimed != wheel.sha256:
            msg = (
                f"{self.records_dir / (wheel.path.name + '.json')} names sha256 {claimed} but "
                f"{wheel.path} differs; rebuild and republish that wheel before merging"
            )
            raise WheelhouseError(msg)
        return record

    def _write_index(self, wheels: list[WheelFacts]) -> None:
        by_project: dict[str, list[WheelFacts]] = {}
        for facts in wheels:
            by_project.setdefault(facts.project, []).append(facts)
        for project, entries in by_project.items():
            self._write_project_page(project, entries)
        self.simple_dir.mkdir(parents=True, exist_ok=True)
        root_page = render_root_page(sorted(by_project))
        atomic_write(self.simple_dir / "index.html", [root_page.encode()])
        self._remove_unlisted_projects(set(by_project))

    def _write_project_page(
        self, project: str, entries: Sequence[WheelFacts], *, hashless: Collection[str] = ()
    ) -> None:
        page = self.simple_dir / project / "index.html"
        page.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(page, [render_project_page(project, entries, hashless=hashless).encode()])

    def _remove_unlisted_projects(self, listed: set[str]) -> None:
        # Only after the root page stopped naming them, so no link ever dangles. Renamed away
        # first, so a reader finds the whole page or none, never a half-removed folder.
        for folder in list(self.simple_dir.iterdir()):
            if folder.is_dir() and folder.name not in listed:
                doomed = _temp_path(folder)
                folder.rename(doomed)
                shutil.rmtree(doomed)

    def _remove_stale_temp_files(self) -> None:
        # Under the lock nobody else is writing, so any temp file is left over from a killed run.
        folders = [self.root, self.records_dir, self.simple_dir]
        if self.simple_dir.is_dir():
            folders += [p for p in self.simple_dir.iterdir() if p.is_dir()]
        for folder in folders:
            for stale in folder.glob(f"{TEMP_PREFIX}*"):
                if stale.is_dir() and not stale.is_symlink():
                    shutil.rmtree(stale)
                else:
                    stale.unlink(missing_ok=True)


def render_project_page(
    project: str, entries: Sequence[WheelFacts], *, hashless: Collection[str] = ()
) -> str:
    """The PEP 503 page of one project; links are relative to ``simple/<project>/``. The links
    of the wheels named in ``hashless`` carry no sha256 (their bytes are being replaced)."""
    links = []
    for facts in sorted(entries, key=lambda f: f.path.name):
        href = f"../../{quote(facts.path.name)}"
        if facts.path.name not in hashless:
            href += f"#sha256={facts.sha256}"
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


def atomic_write(target: Path, chunks: Iterable[bytes]) -> str:
    """Write ``target`` through an fsync'ed temp file in its folder moved into place with
    ``os.replace``; return the sha256 of what was written."""
    temp = _temp_path(target)
    digest = hashlib.sha256()
    try:
        with temp.open("xb") as out:
            for chunk in chunks:
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)
    return digest.hexdigest()


def _temp_path(target: Path) -> Path:
    return target.with_name(f"{TEMP_PREFIX}{os.getpid()}-{os.urandom(4).hex()}-{target.name}")


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as source:
        while chunk := source.read(_CHUNK):
            yield chunk


def _utc_now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
