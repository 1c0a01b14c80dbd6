"""The spec of a CPython built from source, ``toolchain/pythons/<version>.toml`` (its schema is
the dataclasses below; building it is rvwheels.environment.pythons).

The file has the interpreter-wide keys at its top level and one table per machine
(``[x86_64]``, ``[riscv64]``): how that machine's interpreter is configured and where its
smoke check runs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from rvwheels.errors import EnvError, ToolchainError
from rvwheels.schema import KeyPath, internal, parse_toml, read_limited, show, table_for, toml
from rvwheels.schema import checks as check
from rvwheels.schema.nodes import Key, String

# The build Python is built first; every other machine is cross compiled with it.
BUILD_MACHINE = "x86_64"
MACHINES = (BUILD_MACHINE, "riscv64")
# Bump when the way CPython is built changes, so old caches are not reused.
PYTHON_FORMAT = 1
# Added by rvwheels itself (the mount point, the build interpreter).
_OWN_OPTIONS = ("--prefix", "--with-build-python")


@dataclass(frozen=True, kw_only=True)
class SideSpec:
    """How one machine's interpreter is configured, and which root its smoke check runs in."""

    machine: str = internal(doc="the table's name")
    test_root: str = toml(check=check.root_name, doc="the root its smoke check runs in")
    configure: tuple[str, ...] = toml(doc="configure options for this machine only")
    env: Mapping[str, str] = toml(
        default_factory=dict,
        keys=String(valid=check.env_name),
        allow_empty=True,
        doc="environment for its configure and make",
    )


@dataclass(frozen=True, kw_only=True)
class PythonSpec:
    version: str = toml(check=check.python_version, doc="major.minor; the file's stem")
    release: str = toml(doc="the full release, e.g. 3.11.2")
    url: str = toml(check=check.download_url, doc="the source tarball")
    sha256: str = toml(check=check.sha256, doc="the tarball's digest")
    build_root: str = toml(check=check.root_name, doc="the root both sides are compiled in")
    check_imports: tuple[str, ...] = toml(
        check=check.module_name, doc="modules the smoke check imports"
    )
    configure: tuple[str, ...] = toml(doc="configure options for both machines")
    sides: Mapping[str, SideSpec] = internal(doc="the machine tables")
    path: Path = internal()
    digest: str = internal(doc="sha256 of the file's bytes")

    @property
    def key(self) -> str:
        payload = f"{PYTHON_FORMAT}\n{self.digest}"
        return hashlib.sha256(payload.encode()).hexdigest()[:12]

    @property
    def filename(self) -> str:
        return self.url.rsplit("/", 1)[-1]


_SIDE = table_for(SideSpec)
PYTHON_FILE = table_for(PythonSpec).with_keys(
    *(Key(machine, _SIDE, required=True, doc=f"the {machine} interpreter") for machine in MACHINES)
)


def available_python_versions(toolchain_dir: Path) -> list[str]:
    stems = [p.stem for p in (toolchain_dir / "pythons").glob("*.toml")]
    return sorted(stems, key=lambda v: tuple(int(x) if x.isdigit() else 0 for x in v.split(".")))


def load_python_spec(version: str, toolchain_dir: Path) -> PythonSpec:
    path = toolchain_dir / "pythons" / f"{version}.toml"
    if check.python_version(version) is not None or not path.is_file():
        known = ", ".join(available_python_versions(toolchain_dir)) or "none"
        msg = f"{path}: no CPython spec for {version}; available versions: {known}"
        raise EnvError(msg)
    content = read_limited(path, ToolchainError, what="a CPython spec")
    at = KeyPath(path, ToolchainError)
    checked = PYTHON_FILE.check(parse_toml(content, path, ToolchainError), at)
    spec = PythonSpec(
        **PYTHON_FILE.fields(checked),
        sides={m: SideSpec(machine=m, **_SIDE.fields(checked[m])) for m in MACHINES},
        path=path,
        digest=hashlib.sha256(content).hexdigest(),
    )
    _check_values(spec, version, at)
    return spec


def _check_values(spec: PythonSpec, version: str, at: KeyPath) -> None:
    if spec.version != version:
        problem = f"is {show(spec.version)} but the file is named for {version}"
        raise at.child("version").error(problem=problem, fix="make them agree")
    if not spec.release.startswith(f"{version}."):
        problem = f"{show(spec.release)} is not a {version}.x release"
        raise at.child("release").error(problem=problem, fix=f'write e.g. "{version}.0"')
    places = [("configure", spec.configure)]
    places += [(f"{m}.configure", side.configure) for m, side in spec.sides.items()]
    for place, options in places:
        for i, option in enumerate(options):
            if option.startswith(_OWN_OPTIONS):
                problem = f"{show(option)}: {' and '.join(_OWN_OPTIONS)} are added by rvwheels"
                raise _at(at, place).item(i).error(problem=problem, fix="remove it")


def _at(at: KeyPath, dotted: str) -> KeyPath:
    for part in dotted.split("."):
        at = at.child(part)
    return at
