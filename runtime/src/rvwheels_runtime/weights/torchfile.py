"""Read tensors out of files ``torch.save`` and ``torch.jit.save`` wrote, without torch.

Two layouts exist. The zip format (torch >= 1.6, and every TorchScript file) holds
``<dir>/data.pkl`` plus one raw record ``<dir>/data/<key>`` per storage. The legacy format is a
run of pickles (magic number, protocol, system info, the object, the list of storage keys)
followed by each storage as an int64 element count and its bytes. Both pickles name storages
through persistent ids, which :mod:`.unpickler` turns into lazy references; only the tensors
asked for are read and copied, each storage once.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from rvwheels_runtime.weights.allowed import count
from rvwheels_runtime.weights.errors import BadPickle, WeightsError, clip, describe
from rvwheels_runtime.weights.limits import MAX_PICKLE_BYTES, OVERLAP_ALLOWANCE_BYTES
from rvwheels_runtime.weights.refs import StorageRef, StorageType, TensorRef, element_size
from rvwheels_runtime.weights.unpickler import unpickle
from rvwheels_runtime.weights.zips import read_member

_MAX_KEY_CHARS = 256  # torch names storages "0", "1", ... (legacy: a memory address)


@dataclass(frozen=True, kw_only=True)
class TorchFile:
    """The unpickled top-level object and a way to read the bytes of each storage."""

    root: Any
    is_torchscript: bool
    storage_bytes: Callable[[str], int]  # the size of storage ``key``, without reading it
    read_storage: Callable[[str], bytes]
    byteorder: str  # "<" or ">"
    source: str

    def tensors(self, refs: Mapping[str, TensorRef]) -> dict[str, np.ndarray]:
        """Copy each tensor out of its storage (in ``refs``' order), reading each storage once
        and only after checking that the tensors do not add up to more than is stored."""
        self._check_overlap(refs)
        by_storage: dict[str, list[str]] = {}
        for name, ref in refs.items():
            by_storage.setdefault(ref.storage.key, []).append(name)
        copied = {}
        for key, names in by_storage.items():
            raw = self.read_storage(key)
            for name in names:
                copied[name] = self.materialize(raw, refs[name], name)
        return {name: copied[name] for name in refs}

    def _check_overlap(self, refs: Mapping[str, TensorRef]) -> None:
        # Views may share a storage, so 100 tensors can each claim the same 4 MB: 400 MB of
        # output from a 4 MB file. Genuine views partition their storage (or tie a weight).
        wanted = sum(ref.numel * element_size(ref.element_dtype) for ref in refs.values())
        stored = sum(map(self.storage_bytes, {ref.storage.key for ref in refs.values()}))
        if wanted > 2 * stored + OVERLAP_ALLOWANCE_BYTES:
            msg = (
                f"{self.source}: the generator's tensors add up to {wanted} bytes but view only "
                f"{stored} bytes of storage: damaged or hostile file"
            )
            raise WeightsError(msg)

    def materialize(self, raw: bytes, ref: TensorRef, name: str) -> np.ndarray:
        """One tensor out of its storage's bytes (honouring offset and strides)."""
        dtype = ref.element_dtype
        size = element_size(dtype)
        start = ref.storage.view_offset * element_size(ref.storage.dtype)
        available = max(0, (len(raw) - start) // size)
        base = _decode(raw[start : start + available * size], dtype, self.byteorder)
        last = ref.offset + sum((n - 1) * s for n, s in zip(ref.shape, ref.stride, strict=True))
        if all(ref.shape) and last >= len(base):
            msg = f"{self.source}: tensor {name!r} points outside its storage: truncated file?"
            raise WeightsError(msg)
        if not all(ref.shape):
            return np.zeros(ref.shape, dtype=base.dtype)
        if ref.numel > len(base):
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
    members = {info.filename: info for info in archive.infolist()}
    byteorder = _small_member(archive, members.get(f"{prefix}byteorder"), source) or b"little"
    if byteorder not in (b"little", b"big"):
        msg = f"{source}: unknown byte order {clip(repr(byteorder))} in the archive"
        raise WeightsError(msg)

    def resolve(pid: tuple[Any, ...]) -> StorageRef:
        storage_type, key, _location, numel = _fields(pid, 4)
        return StorageRef(
            key=storage_key(key),
            dtype=storage_type_of(storage_type).dtype,
            numel=count(numel, "storage size"),
        )

    def record(key: str) -> zipfile.ZipInfo:
        info = members.get(f"{prefix}data/{key}")
        if info is None:
            msg = f"{source}: storage record {clip(f'{prefix}data/{key}')!r} is missing: "
            raise WeightsError(msg + "truncated or damaged archive")
        return info

    pickled = members[f"{prefix}data.pkl"]
    if pickled.file_size > MAX_PICKLE_BYTES:
        msg = f"{source}: data.pkl of {pickled.file_size} bytes; weights need far less"
        raise WeightsError(msg)
    names = members.keys()
    return TorchFile(
        root=unpickle(io.BytesIO(read_member(archive, pickled.filename, source)), source, resolve),
        is_torchscript=any(n.startswith(f"{prefix}code/") for n in names)
        or f"{prefix}constants.pkl" in names,
        storage_bytes=lambda key: record(key).file_size,
        read_storage=lambda key: read_member(archive, record(key).filename, source),
        byteorder="<" if byteorder == b"little" else ">",
        source=source,
    )


def _small_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo | None, source: str) -> bytes:
    if info is None:
        return b""
    if info.file_size > 16:
        msg = f"{source}: {clip(info.filename)!r} is {info.file_size} bytes, expected a word"
        raise WeightsError(msg)
    return read_member(archive, info.filename, source)


def has_torch_pickle(names: list[str]) -> bool:
    return any(n == "data.pkl" or n.endswith("/data.pkl") for n in names)


def _pickle_dir(names: list[str], source: str) -> str:
    # The archive's top directory is named after the file torch saved to, so find it.
    candidates = sorted((n for n in names if n.endswith("data.pkl") and n.count("/") <= 1), key=len)
    if not candidates:
        msg = f"{source}: zip archive without data.pkl: not a PyTorch checkpoint"
        raise WeightsError(msg)
    return candidates[0][: -len("data.pkl")]


def storage_key(value: Any) -> str:
    """A storage's name in the file: torch writes a short string (legacy: an address)."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() <= 64:
        return str(value)
    if isinstance(value, str) and len(value) <= _MAX_KEY_CHARS:
        return value
    msg = f"storage key is {describe(value)}, expected a short string"
    raise BadPickle(msg)


def storage_type_of(value: Any) -> StorageType:
    if not isinstance(value, StorageType):
        msg = f"storage type is {describe(value)}, expected torch.<Type>Storage"
        raise BadPickle(msg)
    return value


def _fields(pid: tuple[Any, ...], expected: int) -> tuple[Any, ...]:
    if len(pid) != expected:
        msg = f"storage id has {len(pid)} fields, expected {expected}"
        raise BadPickle(msg)
    return pid
