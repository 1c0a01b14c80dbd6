"""What an sdist says about how it builds, read from the archive without unpacking it: its
[build-system], the languages of its sources, the system libraries its build files look up
and the packages it installs."""

from __future__ import annotations

import email.parser
import re
import tarfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from rvwheels.errors import FetchError
from rvwheels.schema.files import parse_toml

TEXT_LIMIT = 1 << 20  # bytes read of any one build file
MEMBER_LIMIT = 200_000  # files listed from one archive
LANGUAGES = {
    ".c": "C",
    ".cpp": "C++",
    ".cc": "C++",
    ".cxx": "C++",
    ".hpp": "C++",
    ".f": "Fortran",
    ".f90": "Fortran",
    ".f95": "Fortran",
    ".for": "Fortran",
    ".rs": "Rust",
    ".pyx": "Cython",
    ".pxd": "Cython",
}
BUILD_FILES = ("pyproject.toml", "meson.build", "CMakeLists.txt", "setup.py", "Cargo.toml")
# Lookups that are not system libraries to install: the build's own Python, the C runtime and
# compilers' runtimes, Python packages that ship their headers, and other systems' libraries
# (Windows, the BSDs, AIX, Solaris) that setup.py files name for those platforms.
NOT_LIBRARIES = {
    "python", "python3", "py", "pythoninterp", "pythonlibs", "development", "interpreter",
    "threads", "openmp", "dl", "m", "rt", "pthread", "mpi", "cuda", "cudatoolkit", "numpy",
    "pybind11", "nanobind", "pythran", "git", "pkgconfig", "cython", "fmt",
    "socket", "nsl", "kstat", "perfstat", "kvm", "devstat", "ws2_32", "iphlpapi", "psapi",
    "pdh", "advapi32", "user32", "shell32", "ole32", "kernel32", "powrprof", "secur32",
}  # fmt: skip
NOT_PACKAGES = {"test", "tests", "doc", "docs", "examples", "benchmarks", "tools", "scripts", "ci"}
_MESON_DEPENDENCY = re.compile(r"""dependency\(\s*['"]([^'"]+)['"]""")
_CMAKE_PACKAGE = re.compile(r"find_package\(\s*([A-Za-z0-9_.+-]+)")
_CMAKE_PKG_CHECK = re.compile(
    r"pkg_check_modules\(\s*\w+\s+(?:(?:REQUIRED|QUIET|IMPORTED_TARGET)\s+)*([\w.+-]+)"
)
_SETUP_LIBRARIES = re.compile(r"libraries\s*=\s*\[([^\]]*)\]")
_QUOTED = re.compile(r"""['"]([A-Za-z][\w.+-]*)['"]""")
_SOURCE_ROOTS = ("", "src/", "python/", "pysrc/", "lib/")


@dataclass(frozen=True, kw_only=True)
class SdistFacts:
    has_pyproject: bool
    build_backend: str | None  # [build-system] build-backend, e.g. "mesonpy"
    in_tree_backend: bool  # build-backend is the project's own (backend-path), wrapping another
    build_requires: tuple[str, ...]
    languages: tuple[str, ...]  # sorted: "C", "C++", "Cython", "Fortran", "Rust"
    libraries: tuple[tuple[str, str], ...]  # (name as looked up, which build file)
    packages: tuple[str, ...]  # top-level import packages
    requires_dist: tuple[str, ...] | None = None  # PKG-INFO's Requires-Dist; None: no PKG-INFO
    vendored_crates: int = 0  # Rust crates shipped in the sdist (`cargo vendor` leaves a checksum)


def inspect_sdist(archive: Path) -> SdistFacts:
    names, texts = _read_archive(archive)
    pyproject = _pyproject(texts.get("pyproject.toml"), archive)
    build_system = pyproject.get("build-system", {})
    return SdistFacts(
        has_pyproject="pyproject.toml" in texts,
        build_backend=build_system.get("build-backend"),
        in_tree_backend=bool(build_system.get("backend-path")),
        build_requires=tuple(build_system.get("requires", ())),
        languages=_languages(names, texts),
        libraries=tuple(dict.fromkeys(_library_lookups(texts))),
        packages=_packages(names),
        requires_dist=_requires_dist(texts.get("PKG-INFO")),
        vendored_crates=sum(PurePosixPath(n).name == ".cargo-checksum.json" for n in names),
    )


def _read_archive(archive: Path) -> tuple[list[str], dict[str, str]]:
    """Member paths below the top folder, and the text of the build files, by relative path."""
    try:
        if archive.name.endswith(".zip"):
            return _read_zip(archive)
        return _read_tar(archive)
    except (tarfile.TarError, zipfile.BadZipFile, OSError, EOFError) as error:
        msg = f"{archive.name} is not a readable sdist ({error}); delete it and run again"
        raise FetchError(msg) from None


def _read_tar(archive: Path) -> tuple[list[str], dict[str, str]]:
    names, texts = [], {}
    with tarfile.open(archive) as tf:
        for member in _limited(iter(tf)):
            rel = _below_top(member.name)
            if rel is None or not member.isfile():
                continue
            names.append(rel)
            if _is_build_file(rel) and member.size <= TEXT_LIMIT:
                handle = tf.extractfile(member)
                if handle is not None:
                    texts[rel] = handle.read().decode("utf-8", errors="replace")
    return names, texts


def _read_zip(archive: Path) -> tuple[list[str], dict[str, str]]:
    names, texts = [], {}
    with zipfile.ZipFile(archive) as zf:
        for info in _limited(iter(zf.infolist())):
            rel = _below_top(info.filename)
            if rel is None or info.is_dir():
                continue
            names.append(rel)
            if _is_build_file(rel) and info.file_size <= TEXT_LIMIT:
                texts[rel] = zf.read(info).decode("utf-8", errors="replace")
    return names, texts


def _limited(members: Iterator) -> Iterator:
    for count, member in enumerate(members):
        if count >= MEMBER_LIMIT:
            msg = f"the sdist holds more than {MEMBER_LIMIT} files; write its recipe by hand"
            raise FetchError(msg)
        yield member


def _below_top(name: str) -> str | None:
    parts = PurePosixPath(name).parts
    if len(parts) < 2 or ".." in parts or parts[0].startswith("/"):
        return None
    return "/".join(parts[1:])


def _is_build_file(rel: str) -> bool:
    if rel == "PKG-INFO":  # the sdist's own metadata, at its top
        return True
    name = PurePosixPath(rel).name
    return name in BUILD_FILES or name.endswith(".cmake") or name == "setup.cfg"


def _suffix(name: str) -> str:
    return PurePosixPath(name).suffix.lower() if not name.endswith(".F") else ".f"


def _languages(names: list[str], texts: dict[str, str]) -> tuple[str, ...]:
    found = {LANGUAGES[s] for name in names if (s := _suffix(name)) in LANGUAGES}
    if any(PurePosixPath(rel).name == "Cargo.toml" for rel in texts):
        found.add("Rust")
    return tuple(sorted(found))


def _pyproject(text: str | None, archive: Path) -> dict:
    if text is None:
        return {}
    return parse_toml(text.encode(), archive / "pyproject.toml", FetchError)


def _requires_dist(text: str | None) -> tuple[str, ...] | None:
    if text is None:
        return None
    headers = email.parser.HeaderParser().parsestr(text)
    return tuple(headers.get_all("Requires-Dist") or ())


def _library_lookups(texts: dict[str, str]) -> Iterator[tuple[str, str]]:
    for rel, text in sorted(texts.items()):
        name = PurePosixPath(rel).name
        if name == "meson.build":
            found = _MESON_DEPENDENCY.findall(text)
        elif name == "CMakeLists.txt" or name.endswith(".cmake"):
            found = _CMAKE_PACKAGE.findall(text) + _CMAKE_PKG_CHECK.findall(text)
        elif name in ("setup.py", "setup.cfg"):
            lists = _SETUP_LIBRARIES.findall(text)
            found = [n for listed in lists for n in _QUOTED.findall(listed)]
        else:
            continue
        for library in found:
            if library.lower() not in NOT_LIBRARIES:
                yield library, rel


def _packages(names: list[str]) -> tuple[str, ...]:
    found = []
    for root in _SOURCE_ROOTS:
        for name in names:
            if not name.startswith(root):
                continue
            parts = name[len(root) :].split("/")
            if len(parts) == 2 and parts[1] == "__init__.py" and parts[0].isidentifier():
                found.append(parts[0])
    return tuple(dict.fromkeys(p for p in found if p.lower() not in NOT_PACKAGES))
