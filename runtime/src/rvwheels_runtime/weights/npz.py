"""rvwheels' own weights file: a plain ``.npz`` keyed by official names, plus a version tag."""

from __future__ import annotations

import os
import zipfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from rvwheels_runtime.weights.errors import WeightsError

FORMAT_KEY = "__rvwheels_lama__"
FORMAT_VERSION = 1


def save_npz(weights: Mapping[str, np.ndarray], path: str | os.PathLike[str]) -> Path:
    """Write ``weights`` (already checked) to ``path`` atomically; returns the path."""
    path = Path(path)
    if FORMAT_KEY in weights:
        msg = f"weights must not contain the reserved key {FORMAT_KEY!r}"
        raise WeightsError(msg)
    arrays = {key: np.asarray(value, order="C") for key, value in weights.items()}
    arrays[FORMAT_KEY] = np.array(FORMAT_VERSION, dtype=np.int64)
    partial = path.with_name(f".{path.name}.partial")
    try:
        with partial.open("wb") as out:  # a file object stops numpy from appending ".npz"
            np.savez(out, **arrays)
        partial.replace(path)
    except OSError as err:
        partial.unlink(missing_ok=True)
        msg = f"cannot write {path}: {err.strerror or err}"
        raise WeightsError(msg) from None
    return path


def read_npz(path: Path, source: str) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as archive:
            if FORMAT_KEY not in archive.files:
                msg = (
                    f"{source}: .npz without the {FORMAT_KEY!r} entry was not written by "
                    "rvwheels; convert the checkpoint with 'inpaint convert CKPT -o OUT.npz'"
                )
                raise WeightsError(msg)
            version = int(archive[FORMAT_KEY])
            if version != FORMAT_VERSION:
                msg = (
                    f"{source}: rvwheels weights format version {version}, this runtime reads "
                    f"{FORMAT_VERSION}; upgrade rvwheels-runtime or convert again"
                )
                raise WeightsError(msg)
            return {key: archive[key] for key in archive.files if key != FORMAT_KEY}
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as err:
        if isinstance(err, WeightsError):
            raise
        msg = f"{source}: damaged or truncated .npz ({err})"
        raise WeightsError(msg) from None
