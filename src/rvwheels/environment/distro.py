"""Which distribution family an environment is, and how to install a package there."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from rvwheels import paths


@dataclass(frozen=True, kw_only=True)
class Distro:
    family: str
    pretty_name: str
    install: str
    packages: dict[str, str]

    def install_command(self, *packages: str) -> str:
        return self.install.format(packages=" ".join(packages))

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


def detect_distro(os_release: Path, toolchain_dir: Path = paths.TOOLCHAIN_DIR) -> Distro:
    fields = read_os_release(os_release)
    # openEuler spells its ID "openEuler"; os-release IDs are meant to be lower case.
    ids = [i.lower() for i in [fields.get("ID", ""), *fields.get("ID_LIKE", "").split()]]
    families = tomllib.loads((toolchain_dir / "distros.toml").read_text())
    for family, spec in families.items():
        if any(i in spec["ids"] for i in ids):
            roles = {k: v for k, v in spec.items() if k not in ("ids", "install")}
            return Distro(
                family=family,
                pretty_name=fields.get("PRETTY_NAME", family),
                install=spec["install"],
                packages=roles,
            )
    # Unknown distributions get the Debian spelling: better a close hint than none.
    spec = families["debian"]
    return Distro(
        family="unknown",
        pretty_name=fields.get("PRETTY_NAME", "unknown distribution"),
        install=spec["install"],
        packages={k: v for k, v in spec.items() if k not in ("ids", "install")},
    )
