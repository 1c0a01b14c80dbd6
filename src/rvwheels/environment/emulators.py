"""Emulators besides the host's binfmt qemu-user: ``toolchain/emulators/<name>.toml``.

Each is a qemu-user binary from a hash-checked Debian .deb, unpacked once into
``<cache>/emulators/<name>-<key>/`` (the key hashes the file), and run explicitly with its
``-cpu`` for tests that need a CPU the default emulator lacks (the TH1520's RVV 0.7.1).
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from rvwheels import paths
from rvwheels.errors import CommandFailed, ToolchainError
from rvwheels.fetch import fetch_file
from rvwheels.locks import make_once
from rvwheels.recipe.spec import SourceSpec
from rvwheels.run import run
from rvwheels.schema import checks as check
from rvwheels.schema import internal, load_toml, toml
from rvwheels.schema.files import available_names, named_file

# Where an emulator is bound inside a root (the folder must exist there: roots.MOUNT_DIRS).
MOUNT = "/rvw/emulators"
MARKER = ".rvwheels-emulator"


def _member(value: str) -> tuple[str, str] | None:
    parts = PurePosixPath(value).parts
    if value and not value.startswith("/") and ".." not in parts:
        return None
    return "is not a path inside the .deb", 'write e.g. member = "usr/bin/qemu-riscv64-static"'


@dataclass(frozen=True, kw_only=True)
class EmulatorSpec:
    name: str = internal(doc="the file's stem")
    description: str = toml(doc="what it emulates")
    url: str = toml(check=check.download_url, doc="the Debian .deb that holds it")
    sha256: str = toml(check=check.sha256, doc="the .deb's sha256")
    member: str = toml(check=_member, doc="the emulator's path inside the .deb")
    cpu: str = toml(doc="qemu's -cpu value")
    digest: str = internal(doc="sha256 of the file")

    @property
    def key(self) -> str:
        return self.digest[:12]


@dataclass(frozen=True, kw_only=True)
class Emulator:
    """A ready emulator: where it is on this machine and how a root runs it."""

    spec: EmulatorSpec
    host_path: Path

    @property
    def inside(self) -> str:
        return f"{MOUNT}/{self.spec.name}"

    def argv(self) -> list[str]:
        """The prefix that runs a riscv64 program under it, inside a root."""
        return [self.inside, "-cpu", self.spec.cpu]


def available_emulators(toolchain_dir: Path = paths.TOOLCHAIN_DIR) -> list[str]:
    return available_names(toolchain_dir / "emulators")


def load_emulator_spec(name: str, toolchain_dir: Path = paths.TOOLCHAIN_DIR) -> EmulatorSpec:
    path = named_file(toolchain_dir / "emulators", name, what="emulator", plural="emulators")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return load_toml(
        path, EmulatorSpec, ToolchainError, what="an emulator", name=name, digest=digest
    )


def emulator_dir(spec: EmulatorSpec, cache: Path) -> Path:
    return cache / "emulators" / f"{spec.name}-{spec.key}"


def is_ready(spec: EmulatorSpec, cache: Path) -> bool:
    return (emulator_dir(spec, cache) / MARKER).is_file()


def ensure_emulator(spec: EmulatorSpec, cache: Path, *, log: Path) -> Emulator:
    """The emulator, fetched and unpacked into the cache first if needed (once, under a lock)."""
    folder = emulator_dir(spec, cache)
    make_once(
        folder, lambda: is_ready(spec, cache), lambda: _unpack(spec, folder, cache=cache, log=log)
    )
    return Emulator(spec=spec, host_path=folder / spec.name)


def _unpack(spec: EmulatorSpec, folder: Path, *, cache: Path, log: Path) -> None:
    deb = fetch_file(
        SourceSpec(url=spec.url, sha256=spec.sha256),
        cache,
        name=f"emulator {spec.name}",
        stated_in=paths.TOOLCHAIN_DIR / "emulators" / f"{spec.name}.toml",
        key="sha256",
    )
    staging = folder.with_name(f".tmp-{folder.name}")
    shutil.rmtree(staging, ignore_errors=True)
    (staging / "deb").mkdir(parents=True)
    try:
        run(["dpkg-deb", "-x", str(deb), str(staging / "deb")], log=log)
    except CommandFailed:
        msg = f"cannot unpack {deb.name} for emulator {spec.name}; see {log}"
        raise ToolchainError(msg) from None
    binary = staging / "deb" / spec.member
    if not binary.is_file():
        msg = f"{deb.name} has no {spec.member}; fix member in the emulator's file"
        raise ToolchainError(msg)
    binary.rename(staging / spec.name)
    shutil.rmtree(staging / "deb")
    (staging / MARKER).write_text(spec.url + "\n")
    shutil.rmtree(folder, ignore_errors=True)
    staging.rename(folder)
