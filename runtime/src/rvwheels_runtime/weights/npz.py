"""rvwheels' own weights file: a plain ``.npz`` keyed by official names, plus a version tag."""

from __future__ import annotations

import math
import os
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import BinaryIO

import numpy as np

from rvwheels_runtime.weights.errors import WeightsError, clip, reason
from rvwheels_runtime.weights.zips import ZIP_ERRORS, open_archive

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
    """Every array of an rvwheels ``.npz``, each ``.npy`` header checked against its entry's
    size before the array is allocated."""
    with open_archive(path, source) as archive:
        members = {_key(info, source): info for info in archive.infolist()}
        if FORMAT_KEY not in members:
            msg = (
                f"{source}: .npz without the {FORMAT_KEY!r} entry was not written by "
                "rvwheels; convert the checkpoint with 'inpaint convert CKPT -o OUT.npz'"
            )
            raise WeightsError(msg)
        version = _read_array(archive, members[FORMAT_KEY], source)
        if version.shape != () or version.dtype.kind not in "iu":
            msg = f"{source}: the {FORMAT_KEY!r} entry is not a format version number"
            raise WeightsError(msg)
        if int(version) != FORMAT_VERSION:
            msg = (
                f"{source}: rvwheels weights format version {int(version)}, this runtime reads "
                f"{FORMAT_VERSION}; upgrade rvwheels-runtime or convert again"
            )
            raise WeightsError(msg)
        return {
            key: _read_array(archive, info, source)
            for key, info in members.items()
            if key != FORMAT_KEY
        }


def _key(info: zipfile.ZipInfo, source: str) -> str:
    if not info.filename.endswith(".npy"):
        msg = f"{source}: .npz entry {clip(info.filename)!r} is not an .npy array"
        raise WeightsError(msg)
    return info.filename[: -len(".npy")]


def _read_array(archive: zipfile.ZipFile, info: zipfile.ZipInfo, source: str) -> np.ndarray:
    name = clip(info.filename)
    try:
        with archive.open(info) as entry:
            _check_header(entry, info.file_size, name, source)
        with archive.open(info) as entry:
            return np.lib.format.read_array(entry, allow_pickle=False)
    except (*ZIP_ERRORS, ValueError) as err:
        if isinstance(err, WeightsError):
            raise
        msg = f"{source}: damaged or truncated .npz entry {name!r} ({reason(err)})"
        raise WeightsError(msg) from None


def _check_header(entry: BinaryIO, entry_bytes: int, name: str, source: str) -> None:
    """The array must be numeric and fill its entry exactly: numpy allocates what the header
    claims before it reads, so a 1e12-element header would otherwise ask for terabytes."""
    version = np.lib.format.read_magic(entry)
    if version not in _HEADER_READERS:
        msg = f"{source}: .npz entry {name!r} has .npy format {version}; rvwheels writes 1.0"
        raise WeightsError(msg)
    shape, _fortran, dtype = _HEADER_READERS[version](entry)
    if dtype.kind not in "biufc":
        msg = f"{source}: .npz entry {name!r} holds {dtype} data, not numbers"
        raise WeightsError(msg)
    data_bytes = math.prod(shape) * dtype.itemsize
    if entry.tell() + data_bytes != entry_bytes:
        msg = (
            f"{source}: .npz entry {name!r} claims {data_bytes} bytes of data but holds "
            f"{entry_bytes - entry.tell()}: damaged file"
        )
        raise WeightsError(msg)


_HEADER_READERS = {
    (1, 0): np.lib.format.read_array_header_1_0,
    (2, 0): np.lib.format.read_array_header_2_0,
}
