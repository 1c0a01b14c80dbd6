"""Zip archives (torch's format, TorchScript, ``.npz``) opened only within the limits.

``zipfile`` parses the whole central directory when it opens an archive and inflates a member
to whatever size it claims. So the directory's size is read from the end records first, and
every member's claimed size and compression ratio, and their sum, are checked before any
member is read. Reading a member whole checks its CRC-32.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from pathlib import Path
from typing import BinaryIO

from rvwheels_runtime.weights.errors import WeightsError, clip, reason
from rvwheels_runtime.weights.limits import (
    MAX_CENTRAL_DIRECTORY_BYTES,
    MAX_MEMBER_BYTES,
    MAX_RATIO,
    RATIO_FLOOR_BYTES,
    TOTAL_FLOOR_BYTES,
)

# What reading a damaged archive can raise (zlib for deflate streams, NotImplementedError for
# features a local header asks for), turned into WeightsError. Encryption is refused before.
ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError)
_END = struct.Struct("<4s4H2LH")  # end of central directory: ..., size [5], offset, comment
_END_SIGNATURE = b"PK\x05\x06"
_LOCATOR = struct.Struct("<4sLQL")  # zip64 end locator: signature, disk, offset, disks
_END64 = struct.Struct("<4sQ2H2L4Q")  # zip64 end record: ..., entries, entries, size [8], offset
_LOCATOR_SIGNATURE, _END64_SIGNATURE = b"PK\x06\x07", b"PK\x06\x06"
_MAX_COMMENT = 0xFFFF
_COMPRESSIONS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED}  # what torch and numpy write


def open_archive(path: Path, source: str) -> zipfile.ZipFile:
    """The archive at ``path``, its directory and members checked against the limits."""
    try:
        with path.open("rb") as file:
            directory = _directory_size(file)
        if directory > MAX_CENTRAL_DIRECTORY_BYTES:
            msg = (
                f"{source}: zip directory of {directory} bytes, more than the "
                f"{MAX_CENTRAL_DIRECTORY_BYTES} a weights file needs: damaged or hostile archive"
            )
            raise WeightsError(msg)
        archive = zipfile.ZipFile(path)
    except ZIP_ERRORS as err:
        msg = f"{source}: damaged or truncated zip archive ({reason(err)})"
        raise WeightsError(msg) from None
    try:
        _check_members(archive.infolist(), path.stat().st_size, source)
    except WeightsError:
        archive.close()
        raise
    return archive


def read_member(archive: zipfile.ZipFile, name: str, source: str) -> bytes:
    """A whole member (so its CRC is checked); WeightsError if damaged."""
    try:
        return archive.read(name)
    except (*ZIP_ERRORS, ValueError) as err:
        msg = f"{source}: damaged or truncated archive, cannot read {clip(name)!r} ({reason(err)})"
        raise WeightsError(msg) from None


def _directory_size(file: BinaryIO) -> int:
    """The central directory's size as zipfile will read it, or 0 without an end record
    (zipfile then refuses the file itself). Where versions of zipfile could read different
    records (the end record at the very end or the last one found; a zip64 record before the
    locator or where it points), the largest size counts."""
    end = file.seek(0, 2)
    start = max(0, end - _END.size - _MAX_COMMENT)
    file.seek(start)
    tail = file.read()
    candidates = {tail.rfind(_END_SIGNATURE), len(tail) - _END.size}
    sizes = [
        size
        for at in candidates
        if at >= 0 and tail[at : at + 4] == _END_SIGNATURE
        for size in _sizes_at(file, start + at, tail[at : at + _END.size], end)
    ]
    return max(sizes, default=0)


def _sizes_at(file: BinaryIO, at: int, record: bytes, end: int) -> list[int]:
    """The directory sizes the end record at ``at`` (and its zip64 records) give."""
    if len(record) < _END.size:
        return []
    sizes = [_END.unpack(record)[5]]
    locator_at = at - _LOCATOR.size
    if locator_at < 0:
        return sizes
    file.seek(locator_at)
    signature, _disk, offset, _disks = _LOCATOR.unpack(file.read(_LOCATOR.size))
    if signature != _LOCATOR_SIGNATURE:
        return sizes
    for record_at in (locator_at - _END64.size, offset):
        file.seek(max(0, min(record_at, end)))
        zip64 = file.read(_END64.size)
        if len(zip64) == _END64.size and zip64[:4] == _END64_SIGNATURE:
            sizes.append(_END64.unpack(zip64)[8])
    return sizes


def _check_members(members: list[zipfile.ZipInfo], archive_bytes: int, source: str) -> None:
    names = set()
    for info in members:
        name = clip(info.filename)
        if info.filename in names:
            msg = f"{source}: the archive holds {name!r} twice: damaged or hostile archive"
            raise WeightsError(msg)
        names.add(info.filename)
        if info.compress_type not in _COMPRESSIONS or info.flag_bits & 0x1:
            msg = (
                f"{source}: {name!r} is encrypted or compressed with method "
                f"{info.compress_type}, which no weights file uses"
            )
            raise WeightsError(msg)
        if info.file_size > MAX_MEMBER_BYTES:
            msg = (
                f"{source}: {name!r} unpacks to {info.file_size} bytes, more than the "
                f"limit of {MAX_MEMBER_BYTES}: damaged or hostile archive (zip bomb?)"
            )
            raise WeightsError(msg)
        if info.file_size > MAX_RATIO * info.compress_size + RATIO_FLOOR_BYTES:
            msg = (
                f"{source}: {name!r} unpacks {info.compress_size} bytes to {info.file_size}, "
                f"more than {MAX_RATIO} times: hostile archive (zip bomb?)"
            )
            raise WeightsError(msg)
    total = sum(info.file_size for info in members)
    if total > max(MAX_RATIO * archive_bytes, TOTAL_FLOOR_BYTES):
        msg = (
            f"{source}: the archive's {archive_bytes} bytes unpack to {total}, more than "
            f"{MAX_RATIO} times: hostile archive (zip bomb?)"
        )
        raise WeightsError(msg)
