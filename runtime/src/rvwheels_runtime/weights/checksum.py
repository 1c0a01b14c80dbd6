"""sha256 checks of model files: ``--model-sha256``, a ``<file>.sha256`` sidecar, and the rule
that a legacy-format checkpoint (which has no checksums of its own) needs one of them.

Zip archives and ``.npz`` files carry a CRC-32 per record, which the readers check; torch's
legacy format carries none, so a flipped bit in it loads as silently different weights.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from rvwheels_runtime.weights.errors import WeightsError, clip

SIDECAR_SUFFIX = ".sha256"
LEGACY_HEAD = b"\x80"  # a pickle's PROTO opcode: every other format torch writes is a zip
_SHA256 = re.compile(r"[0-9a-f]{64}")
_SIDECAR_MAX_BYTES = 4096


def normalize_sha256(text: str) -> str:
    """``text`` as 64 lower-case hex digits, or ValueError."""
    digest = text.strip().lower()
    if not _SHA256.fullmatch(digest):
        msg = f"{clip(text)!r} is not a sha256 (64 hexadecimal digits)"
        raise ValueError(msg)
    return digest


def file_sha256(path: Path) -> str:
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def sidecar_of(path: Path) -> Path:
    return path.with_name(path.name + SIDECAR_SUFFIX)


def is_legacy_torch_file(path: Path) -> bool:
    if not path.is_file():
        return False
    with path.open("rb") as file:
        return file.read(1) == LEGACY_HEAD


def check_sha256(path: str | os.PathLike[str], sha256: str) -> None:
    """WeightsError unless the file at ``path`` (and its sidecar, if any) has this sha256."""
    path = Path(path)
    if not path.is_file():
        msg = f"{path}: no such model file"
        raise WeightsError(msg)
    verify(path, str(path), sha256, legacy=False)


def verify(path: Path, source: str, sha256: str | None, *, legacy: bool) -> None:
    """Check ``path`` against ``sha256`` and its sidecar (when present); a legacy-format file
    must have one of them. WeightsError when a digest differs or is missing."""
    expected = {}
    if sha256 is not None:
        try:
            expected["--model-sha256"] = normalize_sha256(sha256)
        except ValueError as err:
            msg = f"{source}: --model-sha256 {err}"
            raise WeightsError(msg) from None
    sidecar = sidecar_of(path)
    if sidecar.is_file():
        expected[sidecar.name] = _read_sidecar(sidecar, source)
    if not expected:
        if legacy:
            msg = (
                f"{source}: legacy PyTorch format (torch < 1.6) has no checksums, so damage "
                f"would load as wrong weights; check its sha256 and convert it once: "
                f"inpaint convert {source} -o big-lama.npz --model-sha256 <sha256> "
                f"(or write the sha256 to {sidecar.name})"
            )
            raise WeightsError(msg)
        return
    actual = file_sha256(path)
    for origin, digest in expected.items():
        if digest != actual:
            msg = (
                f"{source}: sha256 is {actual} but {origin} says {digest}: the file is damaged "
                "or not the one expected; download it again"
            )
            raise WeightsError(msg)


def _read_sidecar(sidecar: Path, source: str) -> str:
    """The digest in ``sha256sum`` style (``<hex>  <name>``) or bare."""
    with sidecar.open("rb") as file:
        text = file.read(_SIDECAR_MAX_BYTES).decode("ascii", "replace")
    try:
        return normalize_sha256(text.split()[0] if text.split() else "")
    except ValueError as err:
        msg = f"{source}: its sidecar {sidecar.name} does not hold a sha256 ({err})"
        raise WeightsError(msg) from None
