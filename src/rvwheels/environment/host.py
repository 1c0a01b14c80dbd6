"""Set up an x86_64 Debian/Ubuntu host: apt packages, the riscv64 binfmt handler, the roots.

Every step checks first and acts only when something is missing, so setup is idempotent.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from rvwheels import paths
from rvwheels.errors import CommandFailed, EnvError, ToolchainError
from rvwheels.run import run
from rvwheels.schema import checks as check
from rvwheels.schema import load_toml, show, toml

BINFMT_DIR = Path("/proc/sys/fs/binfmt_misc")


def _binfmt_flags(value: str) -> tuple[str, str] | None:
    if re.fullmatch(r"[POCF]*", value):
        return None
    return f"{show(value)} holds flags binfmt_misc does not know", "use P, O, C and F"


def _binfmt_field(value: str) -> tuple[str, str] | None:
    """Magic and mask are written as \\xNN escapes: ':' would end the registration field."""
    if re.fullmatch(r"(\\x[0-9a-fA-F]{2})+", value):
        return None
    return "is not a run of \\xNN escapes", "write it as qemu's binfmt conf file does"


@dataclass(frozen=True, kw_only=True)
class HostSpec:
    """What ``rvwheels setup`` installs and registers, ``toolchain/host.toml``."""

    apt: tuple[str, ...] = toml(check=check.debian_package, min_items=1, doc="apt packages")
    binfmt_conf: Path = toml(doc="qemu-user-static's binfmt registration file")
    binfmt_name: str = toml(check=check.root_name, doc="the binfmt_misc entry's name")
    binfmt_magic: str = toml(check=_binfmt_field, doc="used when the conf file is absent")
    binfmt_mask: str = toml(check=_binfmt_field, doc="used when the conf file is absent")
    binfmt_flags: str = toml(check=_binfmt_flags, doc="binfmt_misc flags; F works in roots")
    roots: tuple[str, ...] = toml(check=check.root_name, unique=True, doc="roots setup makes")


def load_host_spec(toolchain_dir: Path = paths.TOOLCHAIN_DIR) -> HostSpec:
    path = toolchain_dir / "host.toml"
    return load_toml(path, HostSpec, ToolchainError, what="the host description")


def missing_apt_packages(packages: tuple[str, ...], *, log: Path) -> list[str]:
    if shutil.which("dpkg-query") is None:
        msg = (
            "rvwheels setup installs packages with apt; on this host install by hand: "
            + " ".join(packages)
        )
        raise EnvError(msg)
    missing = []
    for package in packages:
        try:
            status = run(["dpkg-query", "-W", "-f=${Status}", package], capture=True, log=log)
        except CommandFailed:
            status = ""
        if "install ok installed" not in status:
            missing.append(package)
    return missing


def install_apt_packages(packages: list[str], *, log: Path) -> None:
    if not packages:
        return
    _require_root(f"install {' '.join(packages)}")
    env = {"DEBIAN_FRONTEND": "noninteractive"}
    run(["apt-get", "update"], env=env, log=log)
    run(["apt-get", "install", "-y", "--no-install-recommends", *packages], env=env, log=log)


def binfmt_registered(spec: HostSpec) -> bool:
    entry = BINFMT_DIR / spec.binfmt_name
    return entry.is_file() and entry.read_text().startswith("enabled")


def register_binfmt(spec: HostSpec, *, log: Path) -> None:
    """Register qemu-riscv64 with binfmt_misc, with the F flag so it works inside roots."""
    if binfmt_registered(spec):
        return
    _require_root("register the riscv64 binfmt handler")
    if not (BINFMT_DIR / "register").exists():
        run(["mount", "-t", "binfmt_misc", "binfmt_misc", str(BINFMT_DIR)], log=log)
    (BINFMT_DIR / "register").write_text(binfmt_line(spec))


def binfmt_line(spec: HostSpec) -> str:
    """The registration line: the qemu package's own, else one made from host.toml's data."""
    if spec.binfmt_conf.is_file():
        return spec.binfmt_conf.read_text().strip()
    qemu = shutil.which("qemu-riscv64-static")
    if qemu is None:
        msg = "qemu-riscv64-static is not installed; rvwheels setup installs qemu-user-static"
        raise EnvError(msg)
    fields = ["", spec.binfmt_name, "M", "", spec.binfmt_magic, spec.binfmt_mask, qemu]
    return ":".join(fields) + ":" + spec.binfmt_flags


def _require_root(action: str) -> None:
    if os.geteuid() != 0:
        msg = f"rvwheels setup must run as root to {action}; rerun it with sudo"
        raise EnvError(msg)
