"""Read tensors out of files ``torch.save`` and ``torch.jit.save`` wrote, without torch.

Two layouts exist. The zip format (torch >= 1.6, and every TorchScript file) holds
``<dir>/data.pkl`` plus one raw record ``<dir>/data/<key>`` per storage. The legacy format is a
run of pickles (magic number, protocol, system info, the object, the list of storage keys)
followed by each storage as an int64 element count and its bytes. Both pickles name storages
through persistent ids, which :mod:`.unpickler` turns into lazy references; only the tensors
asked for are read and copied.
"""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, BinaryIO

import numpy as np

from rvwheels_runtime.weights.errors import WeightsError
from rvwheels_runtime.weights.unpickler import (
    BadPickle,
    StorageRef,
    TensorRef,
    element_size,
    storage_type_of,
    unpickle,
)

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
LEGACY_PROTOCOL = 1001


@dataclass(frozen=True, kw_only=True)
class TorchFile:
    """The unpickled top-level object and a way to read the bytes of a storage."""

    root: Any
    is_torchscript: bool
    read_storage: Callable[[StorageRef], bytes]
    byteorder: str  # "<" or ">"
    source: str

    def materialize(self, ref: TensorRef, name: str) -> np.ndarray:
        """Copy one tensor out of its storage (honouring offset and strides)."""
        raw = self.read_storage(ref.storage)
        dtype = ref.element_dtype
        size = element_size(dtype)
        start = ref.storage.view_offset * element_size(ref.storage.dtype)
        available = (len(raw) - start) // size
        base = _decode(raw[start : start + available * size], dtype, self.byteorder)
        last = ref.offset + sum((n - 1) * s for n, s in zip(ref.shape, ref.stride, strict=True))
        if (
            ref.offset < 0
            or any(s < 0 for s in ref.stride)
            or (all(ref.shape) and last >= len(base))
        ):
            msg = f"{self.source}: tensor {name!r} points outside its storage: truncated file?"
            raise WeightsError(msg)
        if not all(ref.shape):
            return np.zeros(ref.shape, dtype=base.dtype)
        if np.prod(ref.shape, dtype=np.float64) > len(base):
            # Weights never broadcast a storage; a damaged header must not allocate terabytes.
            msg = f"{self.source}: tensor {name!r} is larger than its storage: damaged file?"
            raise WeightsError(msg)
        strides = tuple(s * base.itemsize for s in ref.stride)
        view = np.lib.stride_tricks.as_strided(base[ref.offset :], ref.shape, strides)
        return np.array(view, order="C")


def _decode(raw: bytes, dtype: str, byteorder: str) -> np.ndarray:
    if dtype == "bfloat16":
        # bfloat16 is the top half of a float32: widen exactly.
        halves = np.frombuffer(raw, dtype=f"{byteorder}u2").astype(np.uint32)
        return (halves << 16).view(np.float32)
    return np.frombuffer(raw, dtype=np.dtype(dtype).newbyteorder(byteorder))


def read_torch_zip(archive: zipfile.ZipFile, source: str) -> TorchFile:
    prefix = _pickle_dir(archive.namelist(), source)
    names = set(archive.namelist())
    byteorder = (
        _read(archive, f"{prefix}byteorder", source) if f"{prefix}byteorder" in names else b"little"
    )
    if byteorder not in (b"little", b"big"):
        msg = f"{source}: unknown byte order {byteorder!r} in the archive"
        raise WeightsError(msg)

    def resolve(pid: tuple[Any, ...]) -> StorageRef:
        if len(pid) != 4:
            msg = f"storage id has {len(pid)} fields, expected 4"
            raise BadPickle(msg)
        storage_type, key, _location, numel = pid
        return StorageRef(key=str(key), dtype=storage_type_of(storage_type).dtype, numel=int(numel))

    def read_storage(ref: StorageRef) -> bytes:
        name = f"{prefix}data/{ref.key}"
        if name not in names:
            msg = f"{source}: storage record {name!r} is missing: truncated or damaged archive"
            raise WeightsError(msg)
        return _read(archive, name, source)

    pickled = _read(archive, f"{prefix}data.pkl", source)
    return TorchFile(
        root=unpickle(io.BytesIO(pickled), source, resolve),
        is_torchscript=any(n.startswith(f"{prefix}code/") for n in names)
        or f"{prefix}constants.pkl" in names,
        read_storage=read_storage,
        byteorder="<" if byteorder == b"little" else ">",
        source=source,
    )


def has_torch_pickle(names: list[str]) -> bool:
    return any(n == "data.pkl" or n.endswith("/data.pkl") for n in names)


def _pickle_dir(names: list[str], source: str) -> str:
    # The archive's top directory is named after the file torch saved to, so find it.
    candidates = sorted((n for n in names if n.endswith("data.pkl") and n.count("/") <= 1), key=len)
    if not candidates:
        msg = f"{source}: zip archive without data.pkl: not a PyTorch checkpoint"
        raise WeightsError(msg)
    return candidates[0][: -len("data.pkl")]


def _read(archive: zipfile.ZipFile, name: str, source: str) -> bytes:
    try:
        return archive.read(name)
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as err:
        msg = f"{source}: damaged or truncated archive, cannot read {name!r} ({err})"
        raise WeightsError(msg) from None


def read_torch_legacy(file: BinaryIO, source: str) -> TorchFile:
    """The pre-1.6 ``torch.save`` format (``_use_new_zipfile_serialization=False``)."""
    if unpickle(file, source, _no_storage) != LEGACY_MAGIC:
        msg = f"{source}: pickle file that is not a PyTorch checkpoint (wrong magic number)"
        raise WeightsError(msg)
    protocol = unpickle(file, source, _no_storage)
    if protocol != LEGACY_PROTOCOL:
        msg = f"{source}: unsupported legacy torch protocol {protocol!r}"
        raise WeightsError(msg)
    sys_info = unpickle(file, source, _no_storage)
    big_endian = isinstance(sys_info, dict) and sys_info.get("little_endian") is False
    dtypes: dict[str, str] = {}

    def resolve(pid: tuple[Any, ...]) -> StorageRef:
        if len(pid) != 5:
            msg = f"legacy storage id has {len(pid)} fields, expected 5"
            raise BadPickle(msg)
        storage_type, key, _location, numel, view = pid
        dtype = storage_type_of(storage_type).dtype
        dtypes.setdefault(str(key), dtype)
        if view is None:
            return StorageRef(key=str(key), dtype=dtype, numel=int(numel))
        _view_key, offset, view_size = view
        return StorageRef(key=str(key), dtype=dtype, numel=int(view_size), view_offset=int(offset))

    root = unpickle(file, source, resolve)
    keys = unpickle(file, source, _no_storage)
    spans = _legacy_spans(file, keys, dtypes, source)

    def read_storage(ref: StorageRef) -> bytes:
        if ref.key not in spans:
            msg = f"{source}: storage {ref.key!r} is not in the file: damaged checkpoint"
            raise WeightsError(msg)
        start, nbytes = spans[ref.key]
        file.seek(start)
        return file.read(nbytes)

    return TorchFile(
        root=root,
        is_torchscript=False,
        read_storage=read_storage,
        byteorder=">" if big_endian else "<",
        source=source,
    )


def _legacy_spans(
    file: BinaryIO, keys: Any, dtypes: dict[str, str], source: str
) -> dict[str, tuple[int, int]]:
    """Where each storage's bytes start and how many there are, checked against the file size."""
    if not isinstance(keys, list):
        msg = f"{source}: legacy checkpoint without a storage key list"
        raise WeightsError(msg)
    position = file.tell()
    end = file.seek(0, io.SEEK_END)
    spans = {}
    for key in map(str, keys):
        file.seek(position)
        header = file.read(8)
        if len(header) < 8 or key not in dtypes:
            msg = f"{source}: truncated legacy checkpoint (storage {key!r} is missing)"
            raise WeightsError(msg)
        (count,) = struct.unpack("<q", header)
        nbytes = count * element_size(dtypes[key])
        spans[key] = (position + 8, nbytes)
        position += 8 + nbytes
        if count < 0 or position > end:
            msg = f"{source}: truncated legacy checkpoint (storage {key!r} runs past the end)"
            raise WeightsError(msg)
    return spans


def _no_storage(_pid: tuple[Any, ...]) -> StorageRef:
    msg = "a storage reference where none belongs"
    raise BadPickle(msg)
