"""The target platform description (``toolchain/targets/<triplet>.toml``), read once."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from rvwheels import paths


@dataclass(frozen=True, kw_only=True)
class CrossSettings:
    python_host_platform: str
    sysconfigdata: str
    pkgconfig_libdir: tuple[str, ...]
    binaries: dict[str, str]
    host_machine: dict[str, str]
    env: dict[str, str]


@dataclass(frozen=True, kw_only=True)
class Target:
    triplet: str
    machine: str
    qemu: str
    qemu_in_root: str
    python: str  # the roots' own Python version, "3.13"
    manylinux_floor: tuple[int, int]
    cross: CrossSettings


def load_target(
    triplet: str = "riscv64-linux-gnu", toolchain_dir: Path = paths.TOOLCHAIN_DIR
) -> Target:
    data = tomllib.loads((toolchain_dir / "targets" / f"{triplet}.toml").read_text())
    cross = data["cross"]
    major, minor = (int(x) for x in data["manylinux_floor"].split("."))
    return Target(
        triplet=data["triplet"],
        machine=data["machine"],
        qemu=data["qemu"],
        qemu_in_root=data["qemu_in_root"],
        python=data["python"],
        manylinux_floor=(major, minor),
        cross=CrossSettings(
            python_host_platform=cross["python_host_platform"],
            sysconfigdata=cross["sysconfigdata"],
            pkgconfig_libdir=tuple(cross["pkgconfig_libdir"]),
            binaries=dict(cross["binaries"]),
            host_machine=dict(cross["host_machine"]),
            env=dict(cross.get("env", {})),
        ),
    )
