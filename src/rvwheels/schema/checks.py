"""Value checks shared by the recipe and toolchain schemas.

Each takes the string as written and returns None when it is fine, else (problem, fix). Names,
versions and URLs are refused unless they are plain ASCII in their canonical form: they end up
in file names, wheel names and command lines.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from urllib.parse import unquote, urlsplit

from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import InvalidVersion, Version

from rvwheels.schema.keypath import show

Complaint = tuple[str, str] | None

MAX_VERSION = 64  # characters; packaging turns each part into an int (4300 digits at most)
MAX_REQUIREMENT = 200
_PROJECT_NAME = re.compile(r"[A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9]", re.IGNORECASE | re.ASCII)
_SHA256 = re.compile(r"[0-9a-f]{64}")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PRINTABLE = re.compile(r"[!-~]+")  # printable ASCII, no spaces
_HOST_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?", re.IGNORECASE)
_FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+~-]*")
_DEBIAN_PACKAGE = re.compile(r"[a-z0-9][a-z0-9+.-]+(:[a-z0-9]+)?")


def project_name(value: str) -> Complaint:
    if _PROJECT_NAME.fullmatch(value):
        return None
    return f"{show(value)} is not a valid package name", "use the name as spelled on PyPI"


def version(value: str) -> Complaint:
    """A PEP 440 version in its normal form: what the wheel's file name will say."""
    if len(value) > MAX_VERSION:
        return f"is {len(value)} characters long", f"a version has at most {MAX_VERSION}"
    if not value.isascii():
        return f"{show(value)} is not ASCII", 'write e.g. version = "2.4.6"'
    try:
        normal = str(Version(value))
    except InvalidVersion:
        return f"{show(value)} is not a valid PEP 440 version", 'write e.g. version = "2.4.6"'
    if normal != value:
        return f"{show(value)} is not in normal form", f"write version = {show(normal)}"
    return None


def sha256(value: str) -> Complaint:
    if _SHA256.fullmatch(value):
        return None
    if _SHA256.fullmatch(value.lower()):
        return "must be lower case hex", "write the digest in lower case"
    if len(value) == 64:
        problem = "has characters other than the hex digits 0-9 and a-f"
    else:
        problem = f"expected 64 lower-case hex digits, got {len(value)} characters"
    return problem, "paste the full digest from `sha256sum FILE` or the file's PyPI page"


def download_url(value: str) -> Complaint:
    """An https URL to a file on a named host (http only for Debian's signed archive)."""
    fix = "give the full https:// URL of the file"
    if not _PRINTABLE.fullmatch(value):
        return f"{show(value)} has spaces or characters outside ASCII", "percent-encode them"
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as error:
        return f"{show(value)} is not a valid URL ({error})", fix
    if not parts.scheme:
        return f"{show(value)} is not a URL to a file", fix
    if parts.scheme == "http" and _is_debian(parts.hostname or ""):
        pass
    elif parts.scheme != "https":
        return f"{show(value)} is not an https URL", fix + " (http only for *.debian.org)"
    if "@" in parts.netloc:
        return "has a user name or password in it", "remove them: sources are public downloads"
    if not _valid_host(parts.hostname or ""):
        return f"{show(value)} has no valid host name", fix
    if port == 0:
        return f"{show(value)} names port 0", "leave the port out, or name a real one"
    name = unquote(parts.path.rsplit("/", 1)[-1])
    if not _FILE_NAME.fullmatch(name):
        return f"{show(value)} does not end in a file name", fix
    return None


def requirement(value: str) -> Complaint:
    if len(value) > MAX_REQUIREMENT:
        return f"is longer than {MAX_REQUIREMENT} characters", 'write e.g. "pytest>=8"'
    try:
        parsed = Requirement(value)
    except InvalidRequirement as error:
        reason = str(error).splitlines()[0]
        return f"{show(value)} is not a PEP 508 requirement ({reason})", 'write e.g. "pytest>=8"'
    if parsed.url is not None:
        return f"{show(value)} names a URL", "name a project and version; they come from PyPI"
    return None


def module_name(value: str) -> Complaint:
    if value.isascii() and all(part.isidentifier() for part in value.split(".")):
        return None
    return f"{show(value)} is not an importable module name", 'write e.g. "numpy.linalg"'


def library_name(value: str) -> Complaint:
    if "/" not in value and not re.search(r"\.(so|a)(\.|$)", value):
        return None
    return (
        f"{show(value)} is a file name",
        'give the bare name: lib = "openblas" for libopenblas.so',
    )


def env_name(value: str) -> Complaint:
    if _ENV_NAME.fullmatch(value):
        return None
    return "is not an environment variable name", "use letters, digits and underscores"


def meson_name(value: str) -> Complaint:
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", value):
        return None
    return f"{show(value)} is not a Meson property name", "use letters, digits, _ and -"


def emulator_name(value: str) -> Complaint:
    if not value or (re.fullmatch(r"[a-z0-9][a-z0-9_-]*", value) and len(value) <= 64):
        return None
    return f"{show(value)} is not an emulator name", "name a file in toolchain/emulators/"


def root_name(value: str) -> Complaint:
    if re.fullmatch(r"[a-z0-9][a-z0-9_-]*", value) and len(value) <= 64:
        return None
    return f"{show(value)} is not a root name", 'name a file in toolchain/roots/, e.g. "cross"'


def python_version(value: str) -> Complaint:
    if re.fullmatch(r"3\.[0-9]{1,3}", value):
        return None
    return f"{show(value)} is not a Python version", 'write major.minor, e.g. "3.11"'


def debian_package(value: str) -> Complaint:
    if _DEBIAN_PACKAGE.fullmatch(value):
        return None
    return f"{show(value)} is not a Debian package name", 'write e.g. "libopenblas-dev:riscv64"'


def inside_wheel(value: str) -> Complaint:
    """A relative path that stays inside the folder it is relative to (site-packages)."""
    parts = PurePosixPath(value).parts
    if value.startswith("/") or "\\" in value or ".." in parts or not parts:
        fix = 'give a path inside the wheel, relative to site-packages, e.g. "openblas/lib"'
        return f"{show(value)} leaves the wheel", fix
    return None


def file_pattern(value: str) -> Complaint:
    """A glob pattern for one file name (a soname), not a path."""
    if "/" not in value:
        return None
    return f"{show(value)} is a path", 'give a file name pattern, e.g. "libtorch*.so*"'


def _is_debian(host: str) -> bool:
    return host == "debian.org" or host.endswith(".debian.org")


def _valid_host(host: str) -> bool:
    labels = host.split(".")
    return len(host) <= 253 and all(_HOST_LABEL.fullmatch(label) for label in labels)
