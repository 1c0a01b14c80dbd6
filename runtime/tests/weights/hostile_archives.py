"""Generators of hostile weights files, part two: zip bombs and broken archives, ``.npz``
headers, generator layouts that crashed the shape inference, tensor headers, and the legacy
format's checksum gate. See :mod:`hostile` for the pickle-level cases."""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
from rvwheels_runtime.weights import FORMAT_KEY, save_npz

from weights.hostile import Case, genuine_weights, vouch, write_file
from weights.torchfiles import (
    RawMember,
    call,
    checkpoint,
    dict_of,
    integer,
    name,
    pickle_of,
    state_dict,
    storage_id,
    stored,
    tensor,
    text,
    tuple_of,
    write_legacy,
    write_raw_zip,
    write_torch_zip,
    zeros_deflated,
)

GiB = 1 << 30
_VERSION = stored("archive/version", b"3\n")
_BYTEORDER = stored("archive/byteorder", b"little")


def _genuine_zip_members() -> list[RawMember]:
    stored_dict = state_dict(genuine_weights())
    members = [stored("archive/data.pkl", checkpoint(stored_dict)), _BYTEORDER, _VERSION]
    members += [
        stored(f"archive/data/{key}", array.tobytes())
        for key, array in stored_dict.storages.items()
    ]
    return members


def _raw(members: Callable[[], list[RawMember]]) -> Callable[[Path], Path]:
    return lambda path: write_raw_zip(path, members())


def _with(member: RawMember) -> list[RawMember]:
    """The genuine archive with ``member`` in place of the one of the same name (or added)."""
    return [m for m in _genuine_zip_members() if m.name != member.name] + [member]


def _flagged(member: RawMember, *, flags: int = 0, method: int | None = None) -> RawMember:
    return RawMember(
        member.name, member.data, member.file_size, member.crc, method or member.method, flags
    )


def zip_cases() -> list[Case]:
    """Zip bombs (a 1 MB .ckpt reached 3.1 GB) and archives zipfile chokes on."""
    pickled = next(m for m in _genuine_zip_members() if m.name == "archive/data.pkl")
    small = [zeros_deflated(f"archive/junk/{i}", 60 << 10, 60 << 10) for i in range(2000)]
    return [
        Case("zip-bomb-data-pkl", _raw(lambda: _with(zeros_deflated("archive/data.pkl", 3 * GiB))),
             "unpacks to"),
        Case("zip-bomb-storage", _raw(lambda: _with(zeros_deflated("archive/data/0", 900 << 20))),
             "more than 20 times"),
        Case("zip-bomb-many-members", _raw(lambda: _genuine_zip_members() + small), "unpack to"),
        Case("zip-bzip2", _raw(lambda: _with(_flagged(pickled, method=12))), "method 12"),
        Case("zip-lzma", _raw(lambda: _with(_flagged(pickled, method=14))), "method 14"),
        Case("zip-encrypted", _raw(lambda: _with(_flagged(pickled, flags=1))), "encrypted"),
        Case("zip-patch-flag", _raw(lambda: _with(_flagged(pickled, flags=32))), "damaged"),
        Case("zip-huge-directory", _raw(_many_members), "zip directory of"),
        Case("zip-directory-claim", _directory_claim, "zip directory of"),
        Case("zip-duplicate-names", _raw(lambda: _genuine_zip_members() + [pickled]), "twice"),
        Case("zip-pickle-too-long",
             _raw(lambda: _with(stored("archive/data.pkl", b"N" * (17 << 20)))), "data.pkl of"),
        Case("zip-byteorder-long",
             _raw(lambda: _with(stored("archive/byteorder", b"little" * 200))), "expected a word"),
        Case("zip-bad-crc", _raw(lambda: _with(RawMember(pickled.name, pickled.data,
             pickled.file_size, crc=pickled.crc ^ 1))), "damaged"),
        Case("zip-deflate-garbage", _raw(lambda: _with(RawMember(pickled.name, b"\xff" * 99, 4000,
             method=zipfile.ZIP_DEFLATED))), "damaged"),
        Case("zip-truncated-directory", _truncated_directory, "damaged or truncated zip"),
        Case("zip-storage-missing", _storage_missing, r"storage record .* is missing"),
    ]  # fmt: skip


def _many_members() -> list[RawMember]:
    return _genuine_zip_members() + [stored(f"d/{i}", b"") for i in range(120_000)]


def _directory_claim(path: Path) -> Path:
    write_raw_zip(path, _genuine_zip_members())
    data = bytearray(path.read_bytes())
    end = data.rfind(b"PK\x05\x06")
    struct.pack_into("<L", data, end + 12, 3 * GiB)  # the directory's size
    path.write_bytes(bytes(data))
    return path


def _truncated_directory(path: Path) -> Path:
    write_raw_zip(path, _genuine_zip_members())
    data = path.read_bytes()
    end = data.rfind(b"PK\x05\x06")
    path.write_bytes(data[: end - 100] + data[end:])
    return path


def _storage_missing(path: Path) -> Path:
    return write_raw_zip(path, [m for m in _genuine_zip_members() if m.name != "archive/data/3"])


def _npz_member(key: str, header: dict | bytes, data: bytes, version: int = 1) -> RawMember:
    if isinstance(header, bytes):
        body = header
    else:
        text_header = repr(header).encode("latin-1")
        pad = -(10 + len(text_header) + 1) % 64
        body = text_header + b" " * pad + b"\n"
    length = struct.pack("<H" if version == 1 else "<I", len(body))
    return stored(f"{key}.npy", b"\x93NUMPY" + bytes([version, 0]) + length + body + data)


def _npz(*members: RawMember, format_entry: bool = True) -> Callable[[Path], Path]:
    version = io.BytesIO()
    np.lib.format.write_array(version, np.array(1, np.int64))
    extra = [stored(f"{FORMAT_KEY}.npy", version.getvalue())] if format_entry else []
    return lambda path: write_raw_zip(path, [*members, *extra])


def _float_header(shape: tuple, descr: str = "<f4") -> dict:
    return {"descr": descr, "fortran_order": False, "shape": shape}


def npz_cases() -> list[Case]:
    """.npz entries: bombs (1.5 GiB reached 1.57 GB RSS), headers claiming 1e12 elements
    (numpy's _ArrayMemoryError), and headers that do not fit their data."""
    header = _float_header
    return [
        Case("npz-bomb", _npz(zeros_deflated("big.npy", 3 * GiB // 2)), "unpacks to"),
        Case("npz-1e12-elements", _npz(_npz_member("w", header((10**12,)), bytes(16))), "claims"),
        Case("npz-short-data", _npz(_npz_member("w", header((100,)), bytes(40))), "claims"),
        Case("npz-negative-shape", _npz(_npz_member("w", header((-4,)), bytes(16))), "claims"),
        Case("npz-object", _npz(_npz_member("w", header((2,), "|O"), bytes(16))), "not numbers"),
        Case("npz-structured", _npz(_npz_member("w", header((2,), "V8"), bytes(16))),
             "not numbers"),
        Case("npz-version-3", _npz(_npz_member("w", header((1,)), bytes(4), 3)),
             r"format \(3, 0\)"),
        Case("npz-long-header", _npz(_npz_member("w", b" " * 20000 + b"\n", b"")), "damaged"),
        Case("npz-format-array", _format_array, "not a format version"),
        Case("npz-bad-crc", _npz(RawMember("w.npy", b"\x93NUMPY\x01\x00" + bytes(8), 16, 7)),
             "damaged"),
        Case("npz-not-npy", _npz(stored("notes.txt", b"hi"), stored("w.npy", b"")), "neither"),
    ]  # fmt: skip


def _format_array(path: Path) -> Path:
    out = io.BytesIO()
    np.lib.format.write_array(out, np.ones(3, np.int64))
    return write_raw_zip(path, [stored(f"{FORMAT_KEY}.npy", out.getvalue())])


_HEAD = "model.1.ffc.convl2l.weight"


def _layout(change: Callable[[dict], None]) -> dict[str, Callable[[Path], Path]]:
    def weights() -> dict:
        changed = genuine_weights()
        change(changed)
        return changed

    def zipped(path: Path) -> Path:
        stored_dict = state_dict(weights())
        return write_torch_zip(path, checkpoint(stored_dict), stored_dict.storages)

    return {"zip": zipped, "npz": lambda path: save_npz(weights(), path)}


def _set(key: str, value: np.ndarray) -> Callable[[dict], None]:
    return lambda weights: weights.__setitem__(key, value)


def _many_downsamplings(weights: dict) -> None:
    for index in range(3, 22):
        weights[f"model.{index}.ffc.convl2l.weight"] = np.zeros((1, 1, 1, 1), np.float32)


def layout_cases() -> list[Case]:
    """IndexError / ZeroDivisionError from the shape inference, and absurd depths."""
    changes = {
        "head-0d": _set(_HEAD, np.float32(1)),
        "head-1d": _set(_HEAD, np.zeros(4, np.float32)),
        "head-zero-width": _set(_HEAD, np.zeros((0, 4, 7, 7), np.float32)),
        "global-0d": _set("model.2.ffc.convl2g.weight", np.float32(1)),
        "final-2d": _set("model.9.weight", np.zeros((3, 4), np.float32)),
        "downsamplings": _many_downsamplings,
    }
    return [
        Case(f"layout-{label}-{kind}", write, "not a complete LaMa generator")
        for label, change in changes.items()
        for kind, write in _layout(change).items()
    ]


_COUNTER = "model.1.bn_l.num_batches_tracked"  # its shape is free: the layout ignores it


def _tensor_file(
    tensors: dict[str, bytes], *, legacy: bool = False, big: int = 0
) -> Callable[[Path], Path]:
    """The genuine generator with some tensors' opcodes replaced; storage "big" holds
    ``big`` int64 zeros for them to view."""

    def write(path: Path) -> Path:
        weights = genuine_weights()
        stored_dict = state_dict(weights, legacy=legacy)
        storages = {
            index: array
            for index, (key, array) in zip(stored_dict.storages, weights.items(), strict=True)
            if key not in tensors  # legacy files list exactly the storages they use
        }
        if big:
            storages["big"] = np.zeros(big, np.int64)
        pairs = [
            (text(f"generator.{key}"), tensors.get(key) or _original(key, weights, legacy))
            for key in weights
        ]
        root = pickle_of(dict_of([(text("state_dict"), dict_of(pairs))]))
        return write_file(path, root, storages, legacy=legacy)

    return write


def _original(key: str, weights: dict, legacy: bool) -> bytes:
    index = str(list(weights).index(key))
    array = weights[key]
    return tensor(storage_id(index, str(array.dtype), array.size, legacy=legacy), array.shape)


def _big(legacy: bool = False) -> bytes:
    return storage_id("big", "int64", 0, legacy=legacy)


def tensor_cases() -> list[Case]:
    """Tensor headers that point outside their storage, claim huge sizes, or overlap."""
    counters = [k for k in genuine_weights() if k.endswith("num_batches_tracked")]
    aliased = {key: tensor(_big(), (200_000,)) for key in counters}
    v3 = call(
        name("torch._utils", "_rebuild_tensor_v3"),
        _big(),
        integer(0),
        tuple_of(),
        tuple_of(),
        b"\x89",
        b"}",
        text("float32"),
    )
    return [
        Case("tensor-aliased-storage", _tensor_file(aliased, big=200_000), "add up to"),
        Case("tensor-2e42-elements",
             _tensor_file({_COUNTER: tensor(_big(), (2**21, 2**21))}, big=1),
             "elements in a weights file"),
        Case("tensor-negative-stride",
             _tensor_file({_COUNTER: tensor(_big(), (2,), (-1,))}, big=4), "stride is -1"),
        Case("tensor-offset-outside",
             _tensor_file({_COUNTER: tensor(_big(), (2,), None, 10**9)}, big=4), "outside"),
        Case("tensor-100-dims", _tensor_file({_COUNTER: tensor(_big(), (1,) * 100)}, big=1),
             "up to 64 sizes"),
        Case("tensor-text-shape", _tensor_file({_COUNTER: call(name("torch._utils",
             "_rebuild_tensor_v2"), _big(), integer(0), text("ab"), tuple_of(), b"\x89")}, big=1),
             "tensor shape is 'ab'"),
        Case("tensor-v3-dtype", _tensor_file({_COUNTER: v3}, big=1), "tensor dtype is 'float32'"),
        Case("tensor-legacy-aliased", _tensor_file(
             {key: tensor(_big(legacy=True), (200_000,)) for key in counters}, legacy=True,
             big=200_000), "add up to"),
    ]  # fmt: skip


def legacy_cases() -> list[Case]:
    """The legacy format: no checksum (207 of 420 bit-flipped copies loaded wrong weights),
    so it needs a sha256; and its framing (storage counts, key list, magic, protocol)."""
    weights = genuine_weights()
    stored_dict = state_dict(weights, legacy=True)
    root = checkpoint(stored_dict)

    def plain(path: Path) -> Path:
        return write_legacy(path, root, stored_dict.storages)

    def vouched(change: Callable[[bytes], bytes]) -> Callable[[Path], Path]:
        def write(path: Path) -> Path:
            path.write_bytes(change(plain(path).read_bytes()))
            vouch(path)
            return path

        return write

    def sidecar(content: str) -> Callable[[Path], Path]:
        def write(path: Path) -> Path:
            plain(path).with_name(path.name + ".sha256").write_text(content)
            return path

        return write

    def flipped(path: Path) -> Path:
        sidecar_path = sidecar("")(path)
        vouch(path)
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0x10
        path.write_bytes(bytes(data))
        return sidecar_path

    def keys(value: bytes) -> Callable[[Path], Path]:
        def write(path: Path) -> Path:
            write_legacy(path, root, stored_dict.storages, keys=pickle_of(value))
            vouch(path)
            return path

        return write

    storages = stored_dict.storages
    return [
        Case("legacy-without-sha256", plain, "legacy PyTorch format .* inpaint convert"),
        Case("legacy-wrong-sidecar", sidecar("0" * 64), "sha256 is"),
        Case("legacy-junk-sidecar", sidecar("hello"), "does not hold a sha256"),
        Case("legacy-bit-flipped", flipped, "sha256 is"),
        Case("legacy-negative-count", vouched(lambda d: _patch_count(d, storages, -5)),
             "truncated"),
        Case("legacy-count-past-end", vouched(lambda d: _patch_count(d, storages, 10**9)),
             "runs past the end"),
        Case("legacy-keys-not-list", keys(dict_of([])), "storage keys"),
        Case("legacy-keys-deep", keys(b"(" * 1000 + b"]" + b"l" * 1000), "storage keys"),
        Case("legacy-wrong-magic", vouched(lambda d: d[:4] + bytes([d[4] ^ 1]) + d[5:]),
             "wrong magic number"),
        Case("legacy-protocol-deep", vouched(_deep_protocol), "protocol a tuple"),
    ]  # fmt: skip


def _patch_count(data: bytes, storages: dict, value: int) -> bytes:
    """``data`` with the first storage's element count set to ``value``."""
    at = len(data) - sum(8 + array.nbytes for array in storages.values())
    return data[:at] + struct.pack("<q", value) + data[at + 8 :]


def _deep_protocol(data: bytes) -> bytes:
    # The second pickle (protocol 1001) becomes a deep tuple: its repr used to recurse.
    at = data.index(b"J\xe9\x03\x00\x00")  # BININT 1001
    return data[:at] + b")" + b"\x85" * 100_000 + data[at + 5 :]


def archive_cases() -> list[Case]:
    return [*zip_cases(), *npz_cases(), *layout_cases(), *tensor_cases(), *legacy_cases()]
