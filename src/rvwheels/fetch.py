"""Fetch on the host, build offline.

Sources and Python wheels are downloaded here, on the host (whose proxy and CA settings work),
hash-checked and cached; builds and tests inside the roots only ever see these local files.
"""

from __future__ import annotations

import shutil
import sys
import tarfile
import tempfile
import urllib.request
import zipfile
from collections.abc import Sequence
from pathlib import Path

from rvwheels.errors import BuildError, CommandFailed, FetchError
from rvwheels.hashing import sha256_file
from rvwheels.locks import exclusive
from rvwheels.recipe.spec import Recipe, SourceSpec
from rvwheels.run import run
from rvwheels.schema.files import parse_toml

CHUNK = 1 << 20
# What setuptools' PEP 517 fallback assumes for a source tree without [build-system].
LEGACY_BUILD_REQUIRES = ("setuptools>=40.8.0",)


def fetch_source(recipe: Recipe, cache: Path) -> Path:
    """Return the recipe's source (a cached, hash-checked archive, or its local folder)."""
    if recipe.source.path is not None:
        return recipe.source.path
    return fetch_file(
        recipe.source, cache, name=recipe.name, stated_in=recipe.path, key="source.sha256"
    )


def fetch_file(src: SourceSpec, cache: Path, *, name: str, stated_in: Path, key: str) -> Path:
    """Download ``src`` (a url with its sha256) into the cache once; check it every time.
    ``name`` is what the file is for, ``stated_in`` and ``key`` where its hash is written
    (for the error message)."""
    assert src.url is not None and src.sha256 is not None
    dest = cache / "sources" / src.sha256 / src.filename
    if dest.is_file() and sha256_file(dest) == src.sha256:
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".part")
    download(src.url, partial, name)
    actual = sha256_file(partial)
    if actual != src.sha256:
        partial.unlink()
        msg = (
            f"{name}: sha256 of {src.filename} is {actual}, but {stated_in} says "
            f"{src.sha256}; if the new file is trusted, put its hash in {key}"
        )
        raise FetchError(msg)
    partial.replace(dest)
    return dest


def download(url: str, dest: Path, name: str) -> None:
    try:
        with urllib.request.urlopen(url, timeout=120) as response, dest.open("wb") as out:
            shutil.copyfileobj(response, out, CHUNK)
    except (OSError, ValueError) as exc:
        dest.unlink(missing_ok=True)
        msg = f"{name}: cannot download {url} ({exc}); check the URL and your network or proxy"
        raise FetchError(msg) from None


def read_build_requires(source: Path) -> list[str]:
    """The [build-system] requires of an sdist archive or a source folder."""
    text = _read_pyproject(source)
    if text is None:
        return list(LEGACY_BUILD_REQUIRES)
    # Another project's file: a malformed one is a one-line error, not a traceback.
    data = parse_toml(text.encode(), source / "pyproject.toml", BuildError)
    return list(data.get("build-system", {}).get("requires", LEGACY_BUILD_REQUIRES))


def _read_pyproject(source: Path) -> str | None:
    if source.is_dir():
        path = source / "pyproject.toml"
        return path.read_text() if path.is_file() else None
    if source.name.endswith(".zip"):
        with zipfile.ZipFile(source) as zf:
            names = [
                n for n in zf.namelist() if n.count("/") == 1 and n.endswith("/pyproject.toml")
            ]
            return zf.read(names[0]).decode() if names else None
    with tarfile.open(source) as tf:
        for member in tf:
            if member.name.count("/") == 1 and member.name.endswith("/pyproject.toml"):
                extracted = tf.extractfile(member)
                return extracted.read().decode() if extracted else None
    return None


def fetch_wheels(
    requirements: Sequence[str],
    dest: Path,
    *,
    python_version: str | None,
    platforms: Sequence[str] | None,
    log: Path,
    own_wheels: Path | None = None,
) -> None:
    """Download wheels of ``requirements`` (and their dependencies) into ``dest``.

    With ``platforms`` the wheels are for that interpreter and platform, not this one's. Files
    already in ``dest`` are used first, so a repeated build needs no network. ``own_wheels``
    (a wheelhouse) satisfies dependencies PyPI has no riscv64 wheel of (imageio needs numpy);
    those are left where they are, never copied into ``dest``.
    """
    if not requirements:
        return
    dest.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "pip", "download", "--only-binary=:all:", "--dest", str(dest)]
    if platforms:
        nodot = python_version.replace(".", "") if python_version else ""
        argv += ["--python-version", python_version or "", "--implementation", "cp"]
        argv += ["--abi", f"cp{nodot}", "--abi", "abi3", "--abi", "none"]
        for platform in platforms:
            argv += ["--platform", platform]
    links = ["--find-links", str(dest)]
    if own_wheels is not None and own_wheels.is_dir():
        links += ["--find-links", str(own_wheels)]
    argv += list(requirements)
    # pip writes into --dest in place; another process may be installing from ``dest`` right
    # now, so download into a private folder and rename each finished file into place.
    with exclusive(dest / ".lock"), tempfile.TemporaryDirectory(dir=dest) as tmp:
        argv[argv.index("--dest") + 1] = tmp
        try:
            run([*argv, "--no-index", *links], log=log)
        except CommandFailed:
            _download_or_explain(argv, links, requirements, python_version, log)
        for file in Path(tmp).iterdir():
            if own_wheels is not None and (own_wheels / file.name).exists():
                continue
            if not (dest / file.name).exists():
                file.replace(dest / file.name)


def _download_or_explain(argv, links, requirements, python_version, log: Path) -> None:
    try:
        run([*argv, *links], log=log)
    except CommandFailed:
        msg = (
            f"cannot download wheels of {', '.join(requirements)} for Python {python_version} "
            f"(see {log}); a requirement with no wheel for this machine on PyPI must be built "
            "by a recipe first (name it in requires.host or requires.run)"
        )
        raise FetchError(msg) from None


def manylinux_platforms(machine: str, glibc: tuple[int, int], floor: tuple[int, int]) -> list[str]:
    """pip --platform values for a glibc system: pip does not expand manylinux tags by itself."""
    major, newest = glibc
    tags = [f"manylinux_{major}_{minor}_{machine}" for minor in range(newest, floor[1] - 1, -1)]
    if machine == "x86_64":
        tags += ["manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64"]
    return [*tags, f"linux_{machine}"]
