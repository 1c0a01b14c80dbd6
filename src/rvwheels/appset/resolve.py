"""One resolve of an app's requirements for the target, by pip's own resolver: ``pip install
--dry-run --report`` with the target's Python, platforms and markers. It either pins every
distribution (with where pip found it) or names the first requirement with no wheel."""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from packaging.requirements import InvalidRequirement, Requirement

from rvwheels.builder.requirements import marker_environment
from rvwheels.environment.sides import PythonInfo
from rvwheels.errors import BuildError, CommandFailed
from rvwheels.hashing import sha256_file
from rvwheels.run import run

# What pip says when no candidate fits the target (the requirement follows).
NO_WHEEL = re.compile(
    r"(?:No matching distribution found for|Could not find a version that satisfies the "
    r"requirement) (?P<requirement>[^\n(]+)"
)


@dataclass(frozen=True, kw_only=True)
class TargetPython:
    """What pip must know of the machine the set is for."""

    info: PythonInfo  # the target interpreter (its version and machine decide markers)
    platforms: tuple[str, ...]  # pip --platform values, newest manylinux first

    @property
    def abi(self) -> str:
        return "cp" + self.info.version.replace(".", "")

    def pip_args(self) -> list[str]:
        args = ["--only-binary=:all:", "--python-version", self.info.version]
        args += ["--implementation", "cp", "--abi", self.abi, "--abi", "abi3", "--abi", "none"]
        for platform in self.platforms:
            args += ["--platform", platform]
        return args


@dataclass(frozen=True, kw_only=True)
class Pinned:
    """One distribution of the resolved set."""

    name: str
    version: str
    url: str  # where pip found it: PyPI, or a file:// URL into the wheelhouse
    sha256: str

    @property
    def local_file(self) -> Path | None:
        parts = urlsplit(self.url)
        return Path(unquote(parts.path)) if parts.scheme == "file" else None


@dataclass(frozen=True, kw_only=True)
class Resolution:
    pinned: tuple[Pinned, ...]  # () when something is missing
    missing: Requirement | None  # the first requirement pip found no wheel for


def resolve(
    requirements_file: Path, *, target: TargetPython, wheelhouse: Path, report: Path, log: Path
) -> Resolution:
    """Resolve ``requirements_file`` for ``target`` from PyPI plus ``wheelhouse``; what pip
    writes to ``log`` this time is read back for its reason when it fails."""
    report.unlink(missing_ok=True)
    argv = [sys.executable, "-m", "rvwheels.appset.targetpip"]
    argv += [json.dumps(marker_environment(target.info)), "install", "--dry-run"]
    argv += ["--ignore-installed", "--report", str(report), *target.pip_args()]
    argv += ["--find-links", str(wheelhouse), "-r", str(requirements_file)]
    start = log.stat().st_size if log.exists() else 0
    try:
        run(argv, log=log)
    except CommandFailed:
        with log.open("rb") as written:
            written.seek(start)
            missing = missing_requirement(written.read().decode(errors="replace"))
        if missing is None:
            msg = f"pip cannot resolve {requirements_file} for {target.abi} (see {log})"
            raise BuildError(msg) from None
        return Resolution(pinned=(), missing=missing)
    return Resolution(pinned=pinned_from_report(json.loads(report.read_text())), missing=None)


def missing_requirement(pip_output: str) -> Requirement | None:
    """The last requirement pip says it found no wheel for, if that is why it failed."""
    for match in reversed(list(NO_WHEEL.finditer(pip_output))):
        try:
            return Requirement(match.group("requirement").strip())
        except InvalidRequirement:
            continue
    return None


def pinned_from_report(report: dict) -> tuple[Pinned, ...]:
    """The distributions of a pip installation report (format 1), each with its sha256: the
    one pip knew from the index, else that of the local file."""
    pinned = []
    for item in report.get("install", []):
        info = item["download_info"]
        url = info["url"]
        sha256 = (info.get("archive_info") or {}).get("hashes", {}).get("sha256")
        if sha256 is None:
            sha256 = sha256_file(Path(unquote(urlsplit(url).path)))
        metadata = item["metadata"]
        pinned.append(
            Pinned(name=metadata["name"], version=metadata["version"], url=url, sha256=sha256)
        )
    return tuple(sorted(pinned, key=lambda p: p.name.lower()))
