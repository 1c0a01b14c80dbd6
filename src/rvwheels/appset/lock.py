"""The lock of a resolved set: every distribution pinned with its sha256, for
``pip install --require-hashes``; written in place atomically."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rvwheels.appset.resolve import Pinned
from rvwheels.wheelhouse import atomic_write

PYPI_SIMPLE = "https://pypi.org/simple"


def lock_path(wheelhouse: Path, requirements_file: Path, abi: str) -> Path:
    """``<wheelhouse>/locks/lama-cp313.txt`` for requirements/lama.txt and cp313."""
    return wheelhouse / "locks" / f"{requirements_file.stem}-{abi}.txt"


def lock_text(pinned: Sequence[Pinned], *, requirements_file: Path, abi: str) -> str:
    header = [
        f"# {requirements_file.name} resolved for riscv64 {abi} by rvwheels build -r; install with",
        "#   pip install --require-hashes --only-binary=:all: -r THIS_FILE \\",
        f"#     --index-url WHEELHOUSE/simple --extra-index-url {PYPI_SIMPLE}",
    ]
    lines = [f"{p.name}=={p.version} --hash=sha256:{p.sha256}" for p in pinned]
    return "\n".join([*header, *lines]) + "\n"


def write_lock(path: Path, text: str) -> Path:
    """Replace ``path`` whole or not at all: an interrupted run leaves the old lock."""
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, [text.encode()])
    return path
