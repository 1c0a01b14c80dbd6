"""Set up an x86_64 Debian/Ubuntu host: apt packages, the riscv64 binfmt handler, the roots.

Every step checks first and acts only when something is missing, so setup is idempotent.
"""

from __future__ import annotations

import os
import shutil
import tomllib
from dataclasses import dataclass
from pathlib import Path

from rvwheels import paths
from rvwheels.errors import CommandFailed, EnvError
from rvwheels.run import run

BINFMT_DIR = Path("/proc/sys/fs/binfmt_misc")


@dataclass(frozen=True, kw_only=True)
class HostSpec:
    apt: tuple[str, ...]
    binfmt_conf: Path
    binfmt_name: str
    binfmt_magic: str
    binfmt_mask: str
    binfmt_flags: str
    roots: tuple[str, ...]


def load_host_spec(toolchain_dir: Path = paths.TOOLCHAIN_DIR) -> HostSpec:
    data = tomllib.loads((toolchain_dir / "host.toml").read_text())
    return HostSpec(
        apt=tuple(data["apt"]),
        binfmt_conf=Path(data["binfmt_conf"]),
        binfmt_name=data["binfmt_name"],
        binfmt_magic=data["binfmt_magic"],
        binfmt_mask=data["binfmt_mask"],
        binfmt_flags=data["binfmt_flags"],
        roots=tuple(data["roots"]),
    )


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
