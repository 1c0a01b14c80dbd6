"""Debian roots made with mmdebstrap from the package lists in ``toolchain/roots/``.

A root is cached under ``<cache>/roots/<name>-<key>``, where the key hashes the list's content:
editing a list makes a new root, and an unchanged list reuses the old one. A root is built in a
temporary folder and renamed into place, so an interrupted build never looks finished.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

from rvwheels import paths
from rvwheels.errors import ToolchainError
from rvwheels.locks import make_once
from rvwheels.run import run
from rvwheels.schema import checks as check
from rvwheels.schema import internal, load_toml, show, toml
from rvwheels.schema.files import available_names, named_file

# Mount points that executors bind into a read-only root; they must exist in the root.
MOUNT_DIRS = (
    "rvw/work",
    "rvw/cache",
    "rvw/wheelhouse",
    "rvw/project",
    "rvw/pythons",
    "rvw/emulators",
)
MOUNT_FILES = ("usr/local/bin/qemu-riscv64-static",)
# Bump when the way roots are made changes, so old caches are not reused.
ROOT_FORMAT = 1
_VARIANTS = ("extract", "custom", "essential", "apt", "required", "minbase", "buildd", "important")


def _suite(value: str) -> tuple[str, str] | None:
    if re.fullmatch(r"[a-z][a-z0-9-]*", value):
        return None
    return f"{show(value)} is not a Debian suite", 'write e.g. suite = "trixie"'


def _architecture(value: str) -> tuple[str, str] | None:
    if re.fullmatch(r"[a-z0-9]+", value):
        return None
    return f"{show(value)} is not a Debian architecture", 'write e.g. "riscv64"'


def _mirror(value: str) -> tuple[str, str] | None:
    """http is fine here: apt checks the archive's signatures."""
    if re.fullmatch(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~/-]*)?", value):
        return None
    return (
        f"{show(value)} is not a mirror URL",
        'write e.g. mirror = "http://deb.debian.org/debian"',
    )


@dataclass(frozen=True, kw_only=True)
class RootSpec:
    """A root's package list, ``toolchain/roots/<name>.toml``."""

    name: str = internal(doc="the file's stem")
    description: str = toml(doc="what the root is for")
    suite: str = toml(check=_suite, doc="the Debian suite, e.g. trixie")
    mirror: str = toml(check=_mirror, doc="the Debian mirror (apt checks its signatures)")
    architectures: tuple[str, ...] = toml(
        check=_architecture, min_items=1, unique=True, doc="the first is the root's own"
    )
    variant: str = toml("apt", choices=_VARIANTS, doc="mmdebstrap's --variant")
    packages: tuple[str, ...] = toml(
        check=check.debian_package, min_items=1, doc="what mmdebstrap installs (--include)"
    )

    @property
    def key(self) -> str:
        payload = json.dumps({"format": ROOT_FORMAT, **asdict(self)}, sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:12]


def available_roots(toolchain_dir: Path = paths.TOOLCHAIN_DIR) -> list[str]:
    return available_names(toolchain_dir / "roots")


def load_root_spec(name: str, toolchain_dir: Path = paths.TOOLCHAIN_DIR) -> RootSpec:
    path = named_file(toolchain_dir / "roots", name, what="root package list", plural="roots")
    return load_toml(path, RootSpec, ToolchainError, what="a root package list", name=name)


def extended(spec: RootSpec, packages: tuple[str, ...]) -> RootSpec:
    """``spec`` with more packages (a recipe's [requires.system]): its own root, made once and
    cached under its own key, so roots without them stay as they are."""
    if not packages:
        return spec
    added = hashlib.sha256("\n".join(sorted(packages)).encode()).hexdigest()[:8]
    return dataclasses.replace(
        spec,
        name=f"{spec.name}-plus-{added}",
        description=f"{spec.description}, plus {', '.join(packages)}",
        packages=(*spec.packages, *packages),
    )


def root_path(spec: RootSpec, cache: Path) -> Path:
    return cache / "roots" / f"{spec.name}-{spec.key}"


def is_ready(spec: RootSpec, cache: Path) -> bool:
    return (root_path(spec, cache) / ".rvwheels-root.json").is_file()


def ensure_root(spec: RootSpec, cache: Path, *, log: Path) -> Path:
    """Return the root for ``spec``, making it with mmdebstrap first if it is not cached.
    Two processes asking for the same missing root make it once: the second waits."""
    final = root_path(spec, cache)
    make_once(final, lambda: is_ready(spec, cache), lambda: _make_root(spec, final, log=log))
    # Roots made before a mount point was added get it here; an empty folder changes
    # nothing else in them.
    _add_mount_points(final)
    return final


def _make_root(spec: RootSpec, final: Path, *, log: Path) -> None:
    staging = final.with_name(f".tmp-{final.name}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.parent.mkdir(parents=True, exist_ok=True)
    run(_mmdebstrap_argv(spec, staging), log=log)
    _add_mount_points(staging)
    (staging / ".rvwheels-root.json").write_text(json.dumps(asdict(spec), indent=1))
    shutil.rmtree(final, ignore_errors=True)
    staging.rename(final)


def _mmdebstrap_argv(spec: RootSpec, target: Path) -> list[str]:
    # Naming the mirror and suite explicitly keeps mmdebstrap from adding -updates/-security,
    # whose riscv64 indexes are sometimes out of sync with the main suite.
    return [
        "mmdebstrap",
        f"--variant={spec.variant}",
        f"--architectures={','.join(spec.architectures)}",
        f"--include={','.join(spec.packages)}",
        spec.suite,
        str(target),
        f"deb {spec.mirror} {spec.suite} main",
    ]


def _add_mount_points(root: Path) -> None:
    for rel in MOUNT_DIRS:
        (root / rel).mkdir(parents=True, exist_ok=True)
    for rel in MOUNT_FILES:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).touch()


def cached_roots(cache: Path) -> list[Path]:
    base = cache / "roots"
    return sorted(p for p in base.glob("*") if (p / ".rvwheels-root.json").is_file())
