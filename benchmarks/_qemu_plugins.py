"""QEMU 5.2 linux-user for riscv64 with TCG plugins, and the instruction-counting plugin.

QEMU 5.2 is the last QEMU that models RVV 0.7.1 (the TH1520's vector unit). The emulator the
recipes test under (toolchain/emulators/qemu-rvv071.toml) is Debian's static binary, which
cannot load plugins; this one is built from the same Debian source package (the orig tarball
plus Debian's patch series, both hash-checked) with --enable-plugins. It is built once into
``<cache>/bench/qemu-5.2-plugins-<key>/`` (the key hashes the sources and configure options);
the host packages the build needs are installed with rvwheels' own apt helper when missing.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from _common import PROJECT, _unpack

from rvwheels.environment.host import install_apt_packages, missing_apt_packages
from rvwheels.fetch import fetch_file
from rvwheels.locks import exclusive
from rvwheels.recipe.spec import SourceSpec
from rvwheels.run import run

POOL = "https://deb.debian.org/debian/pool/main/q/qemu"
# Debian bullseye's qemu 1:5.2+dfsg-11+deb11u3 (the hashes match bullseye's signed Sources).
ORIG = SourceSpec(
    url=f"{POOL}/qemu_5.2+dfsg.orig.tar.xz",
    sha256="be5ae7ddc88d68af81c7b2435b95c1cad4e9416c9a1426ee5a6a4b9a9c0bf87e",
)
DEBIAN = SourceSpec(
    url=f"{POOL}/qemu_5.2+dfsg-11+deb11u3.debian.tar.xz",
    sha256="0beef0a2f2c6e4ac384ca0195e03710314895130e5f5bc8c662025f1ba57f93d",
)
# The +dfsg tarball bundles no meson: Debian 12's (1.0.1) builds it.
HOST_PACKAGES = (
    "gcc",
    "make",
    "patch",
    "pkg-config",
    "meson",
    "ninja-build",
    "libglib2.0-dev",
    "zlib1g-dev",
)
CONFIGURE = (
    "--target-list=riscv64-linux-user",
    "--enable-plugins",
    "--disable-system",
    "--disable-tools",
    "--disable-docs",
    "--disable-werror",
    "--disable-capstone",
    "--disable-gtk",
    "--disable-sdl",
    "--disable-vnc",
    "--disable-xen",
    "--disable-kvm",
    "--meson=meson",
    "--with-git-submodules=ignore",
)
PLUGIN_SOURCE = PROJECT / "benchmarks" / "c910v" / "rvcount.c"
MARKER = ".rvwheels-qemu"


@dataclass(frozen=True)
class CountingQemu:
    """The plugin-capable emulator and the counting plugin built against it."""

    binary: Path
    plugin: Path

    def argv(self, cpu: str, counts: Path) -> list[str]:
        """The prefix that runs a riscv64 program with ``cpu``, its counts appended to
        ``counts`` at exit ("rvcount: insns N vector M")."""
        return [str(self.binary), "-cpu", cpu, "-plugin", f"{self.plugin},arg=out={counts}"]


def qemu_key() -> str:
    payload = json.dumps([ORIG.sha256, DEBIAN.sha256, CONFIGURE])
    return hashlib.sha256(payload.encode()).hexdigest()[:12]


def ensure_counting_qemu(cache: Path, *, log: Path) -> CountingQemu:
    """The emulator (built once, under a lock) and the plugin (rebuilt when its source
    changes; a few seconds)."""
    folder = cache / "bench" / f"qemu-5.2-plugins-{qemu_key()}"
    if not (folder / MARKER).is_file():
        folder.parent.mkdir(parents=True, exist_ok=True)
        with exclusive(folder.with_name(f".{folder.name}.lock")):
            if not (folder / MARKER).is_file():
                _build_qemu(folder, cache=cache, log=log)
    return CountingQemu(binary=folder / "qemu-riscv64", plugin=_build_plugin(folder, log=log))


def _build_qemu(folder: Path, *, cache: Path, log: Path) -> None:
    print(f"building QEMU 5.2 with plugins into {folder} (minutes, once; log: {log})", flush=True)
    install_apt_packages(missing_apt_packages(HOST_PACKAGES, log=log), log=log)
    stated_in = Path(__file__)
    orig = fetch_file(ORIG, cache, name="QEMU 5.2 source", stated_in=stated_in, key="ORIG")
    debian = fetch_file(DEBIAN, cache, name="QEMU 5.2 debian", stated_in=stated_in, key="DEBIAN")
    staging = folder.with_name(f".tmp-{folder.name}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    source = staging / "src"
    _unpack(orig, source)
    _unpack(debian, source / "debian")
    _apply_debian_patches(source, log=log)
    build = source / "build"
    build.mkdir()
    run([str(source / "configure"), *CONFIGURE], cwd=build, log=log)
    run(["make", f"-j{os.cpu_count() or 1}", "qemu-riscv64"], cwd=build, log=log)
    (build / "qemu-riscv64").rename(staging / "qemu-riscv64")
    (staging / "include").mkdir()
    (source / "include" / "qemu" / "qemu-plugin.h").rename(staging / "include" / "qemu-plugin.h")
    shutil.rmtree(source)
    (staging / MARKER).write_text(json.dumps({"configure": CONFIGURE}) + "\n")
    shutil.rmtree(folder, ignore_errors=True)
    staging.rename(folder)


def _apply_debian_patches(source: Path, *, log: Path) -> None:
    """debian/patches/series in order, as dpkg-source would (comments and blanks skipped)."""
    patches = source / "debian" / "patches"
    for line in (patches / "series").read_text().splitlines():
        name = line.split("#", 1)[0].strip()
        if name:
            patch = ["patch", "-p1", "--batch", "--forward", "-d", str(source)]
            run([*patch, "-i", str(patches / name)], log=log)


def _build_plugin(folder: Path, *, log: Path) -> Path:
    digest = hashlib.sha256(PLUGIN_SOURCE.read_bytes()).hexdigest()[:12]
    plugin = folder / f"librvcount-{digest}.so"
    if not plugin.is_file():
        partial = plugin.with_name(plugin.name + ".part")
        run(
            ["gcc", "-O2", "-shared", "-fPIC", "-I", str(folder / "include")]
            + [str(PLUGIN_SOURCE), "-o", str(partial)],
            log=log,
        )
        partial.rename(plugin)
    return plugin
