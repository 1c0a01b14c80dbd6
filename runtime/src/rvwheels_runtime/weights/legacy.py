"""torch's legacy format (before 1.6, or ``_use_new_zipfile_serialization=False``).

A run of pickles (magic number, protocol, system info, the object, the list of storage keys)
followed by each storage as an int64 element count and its bytes. Nothing in it is
checksummed: :mod:`.checksum` decides whether such a file may be read at all.
"""

from __future__ import annotations

import io
import struct
from typing import Any, BinaryIO

from rvwheels_runtime.weights.allowed import count
from rvwheels_runtime.weights.errors import BadPickle, WeightsError, clip, describe
from rvwheels_runtime.weights.refs import StorageRef, element_size
from rvwheels_runtime.weights.torchfile import TorchFile, storage_key, storage_type_of
from rvwheels_runtime.weights.unpickler import unpickle

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
LEGACY_PROTOCOL = 1001


def read_torch_legacy(file: BinaryIO, source: str) -> TorchFile:
    """The TorchFile of a legacy checkpoint; ``file`` stays open while it is used."""
    if unpickle(file, source, _no_storage) != LEGACY_MAGIC:
        msg = f"{source}: pickle file that is not a PyTorch checkpoint (wrong magic number)"
        raise WeightsError(msg)
    protocol = unpickle(file, source, _no_storage)
    if protocol != LEGACY_PROTOCOL:
        msg = f"{source}: unsupported legacy torch protocol {describe(protocol)}"
        raise WeightsError(msg)
    sys_info = unpickle(file, source, _no_storage)
    big_endian = isinstance(sys_info, dict) and sys_info.get("little_endian") is False
    dtypes: dict[str, str] = {}

    def resolve(pid: tuple[Any, ...]) -> StorageRef:
        if len(pid) != 5:
            msg = f"legacy storage id has {len(pid)} fields, expected 5"
            raise BadPickle(msg)
        storage_type, key, _location, numel, view = pid
        key, dtype = storage_key(key), storage_type_of(storage_type).dtype
        dtypes.setdefault(key, dtype)
        if view is None:
            return StorageRef(key=key, dtype=dtype, numel=count(numel, "storage size"))
        if not isinstance(view, tuple) or len(view) != 3:
            msg = f"legacy storage view is {describe(view)}, expected (key, offset, size)"
            raise BadPickle(msg)
        offset, size = count(view[1], "view offset"), count(view[2], "view size")
        return StorageRef(key=key, dtype=dtype, numel=size, view_offset=offset)

    root = unpickle(file, source, resolve)
    spans = _spans(file, unpickle(file, source, _no_storage), dtypes, source)

    def span(key: str) -> tuple[int, int]:
        if key not in spans:
            msg = f"{source}: storage {clip(key)!r} is not in the file: damaged checkpoint"
            raise WeightsError(msg)
        return spans[key]

    def read_storage(key: str) -> bytes:
        start, nbytes = span(key)
        file.seek(start)
        return file.read(nbytes)

    return TorchFile(
        root=root,
        is_torchscript=False,
        storage_bytes=lambda key: span(key)[1],
        read_storage=read_storage,
        byteorder=">" if big_endian else "<",
        source=source,
    )


def _spans(
    file: BinaryIO, keys: Any, dtypes: dict[str, str], source: str
) -> dict[str, tuple[int, int]]:
    """Where each storage's bytes start and how many there are, checked against the file size."""
    if not isinstance(keys, list) or not all(isinstance(key, str) for key in keys):
        msg = f"{source}: legacy checkpoint without a list of storage keys"
        raise WeightsError(msg)
    position = file.tell()
    end = file.seek(0, io.SEEK_END)
    spans = {}
    for key in keys:
        file.seek(position)
        header = file.read(8)
        if len(header) < 8 or key not in dtypes:
            msg = f"{source}: truncated legacy checkpoint (storage {clip(key)!r} is missing)"
            raise WeightsError(msg)
        (elements,) = struct.unpack("<q", header)
        nbytes = elements * element_size(dtypes[key])
        spans[key] = (position + 8, nbytes)
        position += 8 + nbytes
        if elements < 0 or position > end:
            msg = f"{source}: truncated legacy checkpoint (storage {clip(key)!r} runs past the end)"
            raise WeightsError(msg)
    return spans


def _no_storage(_pid: tuple[Any, ...]) -> StorageRef:
    msg = "a storage reference where none belongs"
    raise BadPickle(msg)
