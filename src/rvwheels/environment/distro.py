"""Which distribution family an environment is, and how to install a package there.

``toolchain/distros.toml`` has one table per family; ``DistroFamily`` is its schema.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

from rvwheels import paths
from rvwheels.errors import ToolchainError
from rvwheels.schema import KeyPath, toml
from rvwheels.schema.derive import toml_key
from rvwheels.schema.files import load_toml_tables
from rvwheels.schema.placeholders import fill, placeholders_in

PACKAGES = "packages"  # the install command's placeholder
FALLBACK = "debian"  # the family an unknown distribution gets


@dataclass(frozen=True, kw_only=True)
class DistroFamily:
    ids: tuple[str, ...] = toml(min_items=1, doc="os-release ID/ID_LIKE values, lower case")
    install: str = toml(placeholders=(PACKAGES,), doc="the install command; {packages}")
    c: str = toml(doc="the package of the C compiler")
    fortran: str = toml(doc="the package of the Fortran compiler")
    cross_c: str = toml(doc="the package of the riscv64 cross C compiler")
    cross_fortran: str = toml(doc="the package of the riscv64 cross Fortran compiler")

    def validate(self, at: KeyPath) -> None:
        if PACKAGES not in placeholders_in(self.install):
            problem = "does not say where the package names go"
            raise at.child("install").error(problem=problem, fix="add {packages} to it")


@dataclass(frozen=True, kw_only=True)
class Distro:
    family: str
    pretty_name: str
    install: str
    packages: dict[str, str]  # role (c, fortran, cross-c, cross-fortran) -> package

    def install_command(self, *packages: str) -> str:
        return fill(self.install, {PACKAGES: " ".join(packages)})

    def package(self, role: str) -> str:
        return self.packages.get(role, role)


def read_os_release(path: Path) -> dict[str, str]:
    fields: dict[str, str] = {}
    try:
        text = path.read_text()
    except OSError:
        return fields
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            fields[key.strip()] = value.strip().strip('"')
    return fields


def load_distro_families(toolchain_dir: Path = paths.TOOLCHAIN_DIR) -> dict[str, DistroFamily]:
    """The file's tables by family name (the names are ours to choose)."""
    path = toolchain_dir / "distros.toml"
    families = load_toml_tables(path, DistroFamily, ToolchainError, what="the distribution list")
    if FALLBACK not in families:
        problem = "missing; unknown distributions get its spelling"
        fix = f"add a [{FALLBACK}] table"
        raise KeyPath(path, ToolchainError).child(FALLBACK).error(problem=problem, fix=fix)
    return families


def detect_distro(os_release: Path, toolchain_dir: Path = paths.TOOLCHAIN_DIR) -> Distro:
    fields = read_os_release(os_release)
    # openEuler spells its ID "openEuler"; os-release IDs are meant to be lower case.
    ids = [i.lower() for i in [fields.get("ID", ""), *fields.get("ID_LIKE", "").split()]]
    families = load_distro_families(toolchain_dir)
    for name, family in families.items():
        if any(i in family.ids for i in ids):
            return _distro(name, fields.get("PRETTY_NAME", name), family)
    # Unknown distributions get the Debian spelling: better a close hint than none.
    pretty = fields.get("PRETTY_NAME", "unknown distribution")
    return _distro("unknown", pretty, families[FALLBACK])


def _distro(name: str, pretty_name: str, family: DistroFamily) -> Distro:
    roles = {
        toml_key(f): getattr(family, f.name)
        for f in fields(DistroFamily)
        if f.name not in ("ids", "install")
    }
    return Distro(family=name, pretty_name=pretty_name, install=family.install, packages=roles)
