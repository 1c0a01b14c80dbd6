"""A release as PyPI's JSON API describes it: its sdist (URL and sha256) and its metadata."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass, replace
from urllib.parse import quote, urljoin, urlsplit

from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from rvwheels.errors import FetchError

PYPI_JSON = "https://pypi.org/pypi/{name}/json"
PYPI_RELEASE_JSON = "https://pypi.org/pypi/{name}/{version}/json"
FILES_HOST = "https://files.pythonhosted.org/packages/"
JSON_LIMIT = 64 << 20  # bytes of JSON we read (numpy's whole-project document is ~2 MB)


@dataclass(frozen=True, kw_only=True)
class Release:
    name: str  # as PyPI spells it ("PyYAML")
    version: str
    sdist_url: str | None  # None: the release has no sdist
    sdist_sha256: str | None
    requires_dist: tuple[str, ...] | None  # None: PyPI did not say (read the sdist's PKG-INFO)
    requires_python: str | None
    wheels: tuple[str, ...]  # file names of the release's wheels

    @property
    def normalized(self) -> str:
        return canonicalize_name(self.name)

    @property
    def pure_wheel(self) -> str | None:
        """A wheel any Python 3 machine can install, if the release has one."""
        return next((w for w in self.wheels if w.endswith("-none-any.whl")), None)


def fetch_release(name: str, version: str | None = None) -> Release:
    """The release ``version`` of ``name`` (the newest when None); FetchError says what failed."""
    if version is not None:
        _check_version(version)
    # The project's document first: it describes the newest release, the one usually asked
    # for (and some PyPI mirrors serve no per-release documents).
    url = PYPI_JSON.format(name=quote(name))
    document = _read_json(url, name, None)
    newest = str((document.get("info") or {}).get("version", ""))
    if version is not None and _differ(version, newest):
        release_url = PYPI_RELEASE_JSON.format(name=quote(name), version=quote(version))
        try:
            return release_from_json(_read_json(release_url, name, version), base=release_url)
        except _NotFound:
            # No per-release document (such mirrors exist): the project's document lists the
            # release's files too, though not its metadata (None: read it from the sdist).
            return release_from_project(document, version, base=url)
    return release_from_json(document, base=url)


class _NotFound(FetchError):
    """PyPI answered 404."""


def release_from_project(document: dict, version: str, *, base: str) -> Release:
    """Release ``version`` from the project's document: its files from ``releases``, with
    ``requires_dist`` None (that document's metadata is the newest release's)."""
    info = document.get("info") or {}
    wanted = Version(version)
    for text, files in (document.get("releases") or {}).items():
        try:
            if Version(text) != wanted:
                continue
        except InvalidVersion:
            continue
        found = release_from_json({"info": {"name": info.get("name", ""), "version": text},
                                   "urls": files}, base=base)  # fmt: skip
        pythons = {f.get("requires_python") for f in files} - {None, ""}
        python = pythons.pop() if len(pythons) == 1 else None
        return replace(found, requires_dist=None, requires_python=python)
    name = str(info.get("name", "")) or "the project"
    msg = f"PyPI has no project or release {name}=={version}; check the spelling and version"
    raise FetchError(msg)


def _differ(asked: str, newest: str) -> bool:
    try:
        return Version(asked) != Version(newest)
    except InvalidVersion:
        return True


def newest_matching(name: str, specifier: str) -> str:
    """The newest release of ``name`` that ``specifier`` (">=1.3,<2") admits and that has an
    sdist (what a recipe builds from; kornia-rs 0.2 has wheels only), not yanked;
    pre-releases only if the specifier names one (as pip chooses)."""
    document = _read_json(PYPI_JSON.format(name=quote(name)), name, None)
    spec = SpecifierSet(specifier)
    versions = []
    for text, files in (document.get("releases") or {}).items():
        try:
            version = Version(text)
        except InvalidVersion:
            continue
        if any(f.get("packagetype") == "sdist" and not f.get("yanked") for f in files):
            versions.append(version)
    admitted = list(spec.filter(versions))
    if not admitted:
        msg = (
            f"PyPI has no release of {name} with an sdist that '{specifier}' admits; "
            "check the requirement"
        )
        raise FetchError(msg)
    return str(max(admitted))


def release_from_json(document: dict, *, base: str) -> Release:
    info = document.get("info") or {}
    files = document.get("urls") or []
    sdists = [f for f in files if f.get("packagetype") == "sdist"]
    sdist = sdists[0] if sdists else None
    return Release(
        name=str(info.get("name", "")),
        version=str(info.get("version", "")),
        sdist_url=None if sdist is None else canonical_file_url(urljoin(base, sdist["url"])),
        sdist_sha256=None if sdist is None else sdist.get("digests", {}).get("sha256"),
        requires_dist=tuple(info.get("requires_dist") or ()),
        requires_python=info.get("requires_python") or None,
        wheels=tuple(f["filename"] for f in files if f.get("packagetype") == "bdist_wheel"),
    )


def canonical_file_url(url: str) -> str:
    """PyPI's own download address for a file (mirrors answer with relative or rewritten
    ones; recipes carry the address that works everywhere)."""
    path = urlsplit(url).path
    marker = "/packages/"
    if marker not in path:
        return url
    tail = path.rsplit(marker, 1)[1]
    return FILES_HOST + tail


def _check_version(version: str) -> None:
    try:
        Version(version)
    except InvalidVersion:
        msg = f"'{version}' is not a version; write NAME or NAME==VERSION, e.g. pyyaml==6.0.2"
        raise FetchError(msg) from None


def _read_json(url: str, name: str, version: str | None) -> dict:
    what = name if version is None else f"{name}=={version}"
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            data = response.read(JSON_LIMIT + 1)
    except urllib.error.HTTPError as error:
        if error.code == 404:
            msg = f"PyPI has no project or release {what}; check the spelling and version"
            raise _NotFound(msg) from None
        msg = f"PyPI answered {error.code} for {what}; try again later"
        raise FetchError(msg) from None
    except (OSError, ValueError) as error:
        msg = f"cannot reach PyPI for {what} ({error}); check your network or proxy"
        raise FetchError(msg) from None
    if len(data) > JSON_LIMIT:
        msg = f"PyPI's answer for {what} is over {JSON_LIMIT >> 20} MiB; ask for one version"
        raise FetchError(msg)
    try:
        return json.loads(data)
    except ValueError:
        msg = f"PyPI's answer for {what} is not JSON; try again later"
        raise FetchError(msg) from None
