"""The target platform description (``toolchain/targets/<triplet>.toml``), read once.

The dataclasses below are the file's schema (rvwheels.schema): a wrong key or value is a
one-line ToolchainError naming the file and the key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from rvwheels import paths
from rvwheels.errors import ToolchainError
from rvwheels.schema import KeyPath, load_toml, show, toml
from rvwheels.schema import checks as check
from rvwheels.schema.nodes import Converted, String

# Meson's own names, which the cross file repeats as they are: any key, no placeholder.
_MESON_NAME = String(valid=check.meson_name)


def _manylinux_version(value: str) -> tuple[str, str] | None:
    if re.fullmatch(r"2\.[0-9]{1,3}", value):
        return None
    return f"{show(value)} is not a glibc version", 'write e.g. manylinux-floor = "2.31"'


_FLOOR = Converted(String(valid=_manylinux_version), lambda v: tuple(int(x) for x in v.split(".")))


@dataclass(frozen=True, kw_only=True)
class CMakeSettings:
    system_name: str = toml(doc="CMAKE_SYSTEM_NAME")
    system_processor: str = toml(doc="CMAKE_SYSTEM_PROCESSOR")
    ignore_path: tuple[str, ...] = toml((), doc="CMAKE_IGNORE_PATH: the build machine's libraries")


@dataclass(frozen=True, kw_only=True)
class RustSettings:
    target: str = toml(doc="Rust's target triple, e.g. riscv64gc-unknown-linux-gnu")
    linker: str = toml(doc="what cargo links target code with")
    build_packages: tuple[str, ...] = toml(
        (), check=check.debian_package, doc="Debian's Rust compiler and cargo"
    )
    target_packages: tuple[str, ...] = toml(
        (), check=check.debian_package, doc="the target's Rust standard library"
    )


@dataclass(frozen=True, kw_only=True)
class CrossSettings:
    python_host_platform: str = toml(doc="_PYTHON_HOST_PLATFORM for sysconfig")
    sysconfigdata: str = toml(doc="_PYTHON_SYSCONFIGDATA_NAME")
    pkgconfig_libdir: tuple[str, ...] = toml(min_items=1, doc="the target's .pc folders")
    binaries: dict[str, str] = toml(keys=_MESON_NAME, doc="Meson cross-file [binaries]")
    host_machine: dict[str, str] = toml(keys=_MESON_NAME, doc="Meson cross-file [host_machine]")
    env: dict[str, str] = toml(
        default_factory=dict, keys=String(valid=check.env_name), doc="for setuptools builds"
    )
    cmake: CMakeSettings = toml(doc="scikit-build-core's CMake toolchain file")
    rust: RustSettings = toml(doc="maturin's Rust target")


@dataclass(frozen=True, kw_only=True)
class Target:
    triplet: str = toml(doc="the GNU triplet; the file's stem")
    machine: str = toml(doc="platform.machine() on the target")
    qemu: str = toml(doc="the qemu-user program on the host")
    qemu_in_root: str = toml(doc="where qemu-user is mounted inside the roots")
    python: str = toml(check=check.python_version, doc="the roots' own Python version, 3.13")
    manylinux_floor: tuple[int, int] = toml(node=_FLOOR, doc="the lowest manylinux tag")
    manylinux_lock: tuple[int, int] = toml(
        node=_FLOOR, doc="the newest manylinux tag a lock may pick: the oldest target's glibc"
    )
    cxx_link_flags: tuple[str, ...] = toml(
        (), doc="how C++ extensions link GCC's runtime: statically, kept private"
    )
    cross: CrossSettings = toml(doc="what cross builds need")


def load_target(
    triplet: str = "riscv64-linux-gnu", toolchain_dir: Path = paths.TOOLCHAIN_DIR
) -> Target:
    path = toolchain_dir / "targets" / f"{triplet}.toml"
    target = load_toml(path, Target, ToolchainError, what="the target description")
    if target.triplet != triplet:
        problem = f"is {show(target.triplet)} but the file is named for {triplet}"
        raise (
            KeyPath(path, ToolchainError)
            .child("triplet")
            .error(problem=problem, fix="make them agree")
        )
    return target
