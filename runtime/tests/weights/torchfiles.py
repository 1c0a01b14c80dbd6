"""Weights files in torch's layouts, written without torch: a small pickle assembler, the zip
and legacy formats, and a raw zip writer for archives ``zipfile`` would refuse to write.

The hostile-input generators build on these; nothing binary is checked in.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

PROTO2 = b"\x80\x02"
STOP = b"."
MARK = b"("
EMPTY_DICT, EMPTY_LIST, EMPTY_TUPLE = b"}", b"]", b")"
LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
_STORAGES = {"float32": "FloatStorage", "int64": "LongStorage", "float16": "HalfStorage"}


# --- a pickle assembler: each function returns the opcodes that push one value ---------------
def text(value: str) -> bytes:
    data = value.encode("utf-8", "surrogatepass")
    return b"X" + struct.pack("<I", len(data)) + data


def integer(value: int) -> bytes:
    if 0 <= value < 256:
        return b"K" + bytes([value])
    if -(2**31) <= value < 2**31:
        return b"J" + struct.pack("<i", value)
    data = value.to_bytes((value.bit_length() + 8) // 8, "little", signed=True)
    if len(data) < 256:
        return b"\x8a" + bytes([len(data)]) + data  # LONG1
    return b"\x8b" + struct.pack("<i", len(data)) + data  # LONG4


def name(module: str, attribute: str) -> bytes:
    """GLOBAL: push ``module.attribute``."""
    return b"c" + module.encode() + b"\n" + attribute.encode() + b"\n"


def tuple_of(*items: bytes) -> bytes:
    return MARK + b"".join(items) + b"t"


def list_of(*items: bytes) -> bytes:
    return EMPTY_LIST + (MARK + b"".join(items) + b"e" if items else b"")


def dict_of(pairs: Iterable[tuple[bytes, bytes]]) -> bytes:
    body = b"".join(key + value for key, value in pairs)
    return EMPTY_DICT + (MARK + body + b"u" if body else b"")


def call(func: bytes, *args: bytes) -> bytes:
    return func + tuple_of(*args) + b"R"


def put(index: int) -> bytes:
    return b"r" + struct.pack("<I", index)


def get(index: int) -> bytes:
    return b"j" + struct.pack("<I", index)


def pickle_of(value: bytes) -> bytes:
    return PROTO2 + value + STOP


# --- tensors and state dicts ------------------------------------------------------------------
def storage_id(key: str, dtype: str, numel: int, *, legacy: bool) -> bytes:
    fields = [text("storage"), name("torch", _STORAGES[dtype]), text(key), text("cpu")]
    fields.append(integer(numel))
    if legacy:
        fields.append(b"N")  # no view
    return tuple_of(*fields) + b"Q"


def tensor(
    storage: bytes, shape: tuple[int, ...], stride: tuple[int, ...] | None = None, offset: int = 0
) -> bytes:
    """``torch._utils._rebuild_tensor_v2(storage, offset, shape, stride, False, {})``."""
    if stride is None:
        stride = tuple(int(np.prod(shape[i + 1 :])) for i in range(len(shape)))
    return call(
        name("torch._utils", "_rebuild_tensor_v2"),
        storage,
        integer(offset),
        tuple_of(*map(integer, shape)),
        tuple_of(*map(integer, stride)),
        b"\x89",
        call(name("collections", "OrderedDict")),
    )


@dataclass
class Stored:
    """A state dict as a pickle plus the storages it names."""

    pickled: bytes  # opcodes that push the state dict
    storages: dict[str, np.ndarray]


def state_dict(
    weights: Mapping[str, np.ndarray], *, legacy: bool = False, prefix: str = "generator."
) -> Stored:
    """Each tensor in its own storage, keyed like a Lightning checkpoint's state dict."""
    pairs, storages = [], {}
    for index, (key, array) in enumerate(weights.items()):
        array = np.asarray(array, order="C")  # (ascontiguousarray makes 0-d arrays 1-d)
        storages[str(index)] = array
        stored = storage_id(str(index), str(array.dtype), array.size, legacy=legacy)
        pairs.append((text(prefix + key), tensor(stored, array.shape)))
    return Stored(dict_of(pairs), storages)


def checkpoint(stored: Stored) -> bytes:
    """``{"state_dict": ..., "epoch": 39}`` as a pickle."""
    return pickle_of(dict_of([(text("state_dict"), stored.pickled), (text("epoch"), b"K'")]))


# --- file layouts -----------------------------------------------------------------------------
def write_torch_zip(
    path: Path, pickled: bytes, storages: Mapping[str, bytes | np.ndarray] = {}
) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", pickled)
        archive.writestr("archive/byteorder", "little")
        for key, data in storages.items():
            archive.writestr(f"archive/data/{key}", _raw(data))
        archive.writestr("archive/version", "3\n")
    return path


def write_legacy(
    path: Path,
    pickled: bytes,
    storages: Mapping[str, np.ndarray],
    *,
    keys: bytes | None = None,
) -> Path:
    """torch's legacy layout: magic, protocol, system info, the object, keys, storages."""
    sys_info = dict_of(
        [(text("protocol_version"), integer(1001)), (text("little_endian"), b"\x88")]
    )
    parts = [pickle_of(integer(LEGACY_MAGIC)), pickle_of(integer(1001)), pickle_of(sys_info)]
    parts += [pickled, keys or pickle_of(list_of(*map(text, storages)))]
    for array in storages.values():
        parts += [struct.pack("<q", array.size), _raw(array)]
    path.write_bytes(b"".join(parts))
    return path


def _raw(data: bytes | np.ndarray) -> bytes:
    return data if isinstance(data, bytes) else np.asarray(data, order="C").tobytes()


@dataclass
class RawMember:
    """A zip member exactly as given: sizes, CRC and compression are not checked."""

    name: str
    data: bytes  # as stored (already compressed for method 8)
    file_size: int
    crc: int = 0
    method: int = zipfile.ZIP_STORED
    flags: int = 0


def stored(name: str, data: bytes) -> RawMember:
    return RawMember(name, data, len(data), zlib.crc32(data))


def zeros_deflated(name: str, size: int, chunk: int = 1 << 20) -> RawMember:
    """``size`` zero bytes, deflated, built from one compressed chunk repeated (so a GiB costs
    no time); the CRC is left wrong: a reader that inflates it all pays before it notices."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(bytes(chunk)) + compressor.flush(zlib.Z_FULL_FLUSH)
    data = block * (size // chunk) + compressor.flush()
    return RawMember(name, data, size // chunk * chunk, method=zipfile.ZIP_DEFLATED)


def write_raw_zip(path: Path, members: list[RawMember], comment: bytes = b"") -> Path:
    local, directory = [], []
    offset = 0
    for member in members:
        encoded = member.name.encode()
        fields = (20, member.flags, member.method, 0, 0, member.crc, len(member.data))
        header = struct.pack(
            "<4s5HL2L2H", b"PK\x03\x04", *fields, member.file_size, len(encoded), 0
        )
        local.append(header + encoded + member.data)
        directory.append(
            struct.pack(
                "<4s6HL2L5H2L",
                b"PK\x01\x02",
                20,
                *fields,
                member.file_size,
                len(encoded),
                0,
                0,
                0,
                0,
                0,
                offset,
            )  # fmt: skip
            + encoded
        )
        offset += len(local[-1])
    central = b"".join(directory)
    count = min(len(members), 0xFFFF)  # zipfile reads the directory by its size, not its count
    end = struct.pack(
        "<4s4H2LH", b"PK\x05\x06", 0, 0, count, count, len(central), offset, len(comment)
    )
    path.write_bytes(b"".join(local) + central + end + comment)
    return path
