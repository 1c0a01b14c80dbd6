"""PNG and BMP in NumPy and zlib: the image codecs that need no Pillow.

PNG (grey, grey+alpha, RGB, RGBA, palette; 1–16 bit; not interlaced) and BMP (1/4/8-bit palette,
24 and 32 bit). ``rvwheels_runtime.image`` uses them when Pillow is missing. Every failure is a
one-line ImageError.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


class ImageError(ValueError):
    """An image or mask file cannot be read or written; the message says why and what to do."""


class ImageTooLarge(ImageError):
    """The image has more pixels than the caller's ``max_pixels``."""


def check_size(width: int, height: int, max_pixels: int | None, source: str) -> None:
    if width < 1 or height < 1:
        msg = f"cannot read {source}: image has no pixels ({width}×{height})"
        raise ImageError(msg)
    if max_pixels is not None and width * height > max_pixels:
        msg = (
            f"{source} is {width}×{height} = {width * height} pixels, more than the limit of "
            f"{max_pixels}; downscale it or raise --max-pixels"
        )
        raise ImageTooLarge(msg)


# --- PNG -----------------------------------------------------------------------------------


def decode_png(data: bytes, source: str, max_pixels: int | None = None) -> np.ndarray:
    chunks = _png_chunks(data, source)
    if not chunks or chunks[0][0] != b"IHDR" or len(chunks[0][1]) != 13:
        msg = f"cannot read {source}: PNG without a valid IHDR header"
        raise ImageError(msg)
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    if colour not in _PNG_CHANNELS or depth not in (1, 2, 4, 8, 16) or interlace:
        msg = (
            f"cannot read {source}: unsupported PNG (colour type {colour}, {depth} bit, "
            f"interlace {interlace}) without Pillow; pip install pillow"
        )
        raise ImageError(msg)
    check_size(width, height, max_pixels, source)
    channels = _PNG_CHANNELS[colour]
    try:
        raw = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
    except zlib.error as err:
        msg = f"cannot read {source}: damaged PNG image data ({err})"
        raise ImageError(msg) from None
    stride = -(-width * channels * depth // 8)
    if len(raw) < height * (stride + 1):
        msg = f"cannot read {source}: truncated PNG image data"
        raise ImageError(msg)
    rows = np.frombuffer(raw, np.uint8, height * (stride + 1)).reshape(height, stride + 1)
    if rows[:, 0].max(initial=0) > 4:
        msg = f"cannot read {source}: damaged PNG (unknown row filter)"
        raise ImageError(msg)
    pixels = _unpack_samples(unfilter(rows, max(1, channels * depth // 8)), width, channels, depth)
    if colour == 3:
        palette = dict(chunks).get(b"PLTE", b"")
        table = np.frombuffer(palette, np.uint8)[: len(palette) // 3 * 3].reshape(-1, 3)
        if not len(table) or pixels.max(initial=0) >= len(table):
            msg = f"cannot read {source}: PNG palette missing or too short"
            raise ImageError(msg)
        return table[pixels[:, :, 0]]
    if colour == 0 and depth < 8:
        pixels = (pixels.astype(np.uint16) * 255 // (2**depth - 1)).astype(np.uint8)
    return pixels if channels > 1 else pixels[:, :, 0]


def _png_chunks(data: bytes, source: str) -> list[tuple[bytes, bytes]]:
    if not data.startswith(PNG_SIGNATURE):
        msg = f"cannot read {source}: not a PNG file"
        raise ImageError(msg)
    chunks, position = [], len(PNG_SIGNATURE)
    while position + 12 <= len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        crc = data[position + 8 + length : position + 12 + length]
        if len(crc) < 4 or struct.unpack(">I", crc)[0] != zlib.crc32(kind + body):
            msg = f"cannot read {source}: damaged or truncated PNG (bad {kind!r} chunk)"
            raise ImageError(msg)
        if kind == b"IEND":
            return chunks
        chunks.append((kind, body))
        position += 12 + length
    msg = f"cannot read {source}: truncated PNG (no IEND chunk)"
    raise ImageError(msg)


def unfilter(rows: np.ndarray, bpp: int) -> np.ndarray:
    """Undo PNG's per-row filters; ``rows`` is H×(1+stride) with the filter byte first."""
    filters = rows[:, 0]
    encoded = rows[:, 1:].reshape(rows.shape[0], -1, bpp)
    if filters.max(initial=0) <= 2:
        return _unfilter_rows(filters, encoded).reshape(rows.shape[0], -1)
    return _unfilter_diagonals(filters, encoded.astype(np.int32)).reshape(rows.shape[0], -1)


def _unfilter_rows(filters: np.ndarray, encoded: np.ndarray) -> np.ndarray:
    """None, Sub and Up only: each row at once (Sub is a running sum along the row)."""
    out = np.empty_like(encoded)
    previous = np.zeros_like(encoded[0])
    for r, kind in enumerate(filters):
        row = encoded[r]
        if kind == 1:
            row = np.cumsum(row, axis=0, dtype=np.uint8)
        elif kind == 2:
            row = row + previous
        out[r] = previous = row
    return out


def _unfilter_diagonals(filters: np.ndarray, encoded: np.ndarray) -> np.ndarray:
    """Any filters. Average and Paeth need the decoded byte to the left, so a row cannot be
    done at once; but pixel (r, x) needs only (r, x−1), (r−1, x) and (r−1, x−1), so every
    anti-diagonal r + x = t is decoded in one vectorised step."""
    height, width, bpp = encoded.shape
    # A zero row and column in front stand for "outside the image".
    out = np.zeros((height + 1, width + 1, bpp), np.int32)
    for t in range(height + width - 1):
        r = np.arange(max(0, t - width + 1), min(height - 1, t) + 1)
        x = t - r
        a, b, c = out[r + 1, x], out[r, x + 1], out[r, x]
        p = a + b - c
        pa, pb, pc = np.abs(p - a), np.abs(p - b), np.abs(p - c)
        paeth = np.where((pa <= pb) & (pa <= pc), a, np.where(pb <= pc, b, c))
        kind = filters[r][:, None]
        predictor = np.select(
            [kind == 1, kind == 2, kind == 3, kind == 4], [a, b, (a + b) >> 1, paeth], 0
        )
        out[r + 1, x + 1] = (encoded[r, x] + predictor) & 0xFF
    return out[1:, 1:].astype(np.uint8)


def _unpack_samples(data: np.ndarray, width: int, channels: int, depth: int) -> np.ndarray:
    height = data.shape[0]
    if depth == 16:  # keep the high byte of each big-endian sample
        return data.reshape(height, width, channels, 2)[:, :, :, 0]
    if depth == 8:
        return data.reshape(height, width, channels)
    bits = np.unpackbits(data, axis=1).reshape(height, -1, depth)
    values = (bits * (1 << np.arange(depth - 1, -1, -1, dtype=np.uint8))).sum(axis=2)
    return values[:, :width, None].astype(np.uint8)


def encode_png(image: np.ndarray) -> bytes:
    height, width = image.shape[:2]
    channels = 1 if image.ndim == 2 else image.shape[2]
    colour = {1: 0, 3: 2, 4: 6}[channels]
    rows = np.ascontiguousarray(image, dtype=np.uint8).reshape(height, -1)
    filtered = np.concatenate([np.zeros((height, 1), np.uint8), rows], axis=1)  # filter None

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, colour, 0, 0, 0)
    idat = zlib.compress(filtered.tobytes(), 6)
    return PNG_SIGNATURE + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


# --- BMP -----------------------------------------------------------------------------------


def decode_bmp(data: bytes, source: str, max_pixels: int | None = None) -> np.ndarray:
    if len(data) < 26 or not data.startswith(b"BM"):
        msg = f"cannot read {source}: not a BMP file or truncated header"
        raise ImageError(msg)
    (offset,) = struct.unpack("<I", data[10:14])
    (header_size,) = struct.unpack("<I", data[14:18])
    if header_size < 40 or len(data) < 14 + header_size:
        msg = f"cannot read {source}: unsupported or truncated BMP header (size {header_size})"
        raise ImageError(msg)
    width, height, _, bits, compression = struct.unpack("<iiHHI", data[18:34])
    (colours_used,) = struct.unpack("<I", data[46:50])
    top_down, height = height < 0, abs(height)
    if (
        bits not in (1, 4, 8, 24, 32)
        or compression not in (0, 3)
        or (compression == 3 and bits != 32)
    ):
        msg = f"cannot read {source}: unsupported BMP ({bits} bit, compression {compression})"
        raise ImageError(msg)
    check_size(width, height, max_pixels, source)
    stride = (width * bits + 31) // 32 * 4
    if len(data) < offset + stride * height:
        msg = f"cannot read {source}: truncated BMP pixel data"
        raise ImageError(msg)
    rows = np.frombuffer(data, np.uint8, stride * height, offset).reshape(height, stride)
    rows = rows if top_down else rows[::-1]
    if bits >= 24:
        return _bmp_direct(data, rows, width, bits, compression, header_size)
    count = colours_used or 2**bits
    palette = np.frombuffer(data, np.uint8, count * 4, 14 + header_size).reshape(count, 4)
    indices = _unpack_samples(rows, width, 1, bits)[:, :, 0] if bits < 8 else rows[:, :width]
    if indices.max(initial=0) >= count:
        msg = f"cannot read {source}: BMP palette index out of range"
        raise ImageError(msg)
    return palette[indices][:, :, 2::-1]


def _bmp_direct(
    data: bytes, rows: np.ndarray, width: int, bits: int, compression: int, header_size: int
) -> np.ndarray:
    pixels = rows[:, : width * bits // 8].reshape(rows.shape[0], width, bits // 8)
    if compression == 0:
        return pixels[:, :, 2::-1]  # BGR(X) → RGB
    # The channel masks follow a 40-byte header, or are its V4/V5 continuation: byte 54 either way.
    masks = struct.unpack("<III", data[54:66])
    words = pixels.view("<u4")[:, :, 0]
    return np.stack([_bitfield(words, m) for m in masks], axis=2)


def _bitfield(words: np.ndarray, mask: int) -> np.ndarray:
    if not mask:
        return np.zeros(words.shape, np.uint8)
    shift = (mask & -mask).bit_length() - 1
    levels = (mask >> shift) + 1
    return (((words & mask) >> shift).astype(np.uint64) * 255 // (levels - 1)).astype(np.uint8)


def encode_bmp(image: np.ndarray) -> bytes:
    height, width = image.shape[:2]
    rgb = image if image.ndim == 3 else np.repeat(image[:, :, None], 3, axis=2)
    stride = (width * 3 + 3) // 4 * 4
    rows = np.zeros((height, stride), np.uint8)
    rows[:, : width * 3] = rgb[::-1, :, 2::-1].reshape(height, -1)
    pixel_bytes = rows.tobytes()
    header = struct.pack("<2sIHHI", b"BM", 54 + len(pixel_bytes), 0, 0, 54)
    info = struct.pack(
        "<IiiHHIIiiII", 40, width, height, 1, 24, 0, len(pixel_bytes), 2835, 2835, 0, 0
    )
    return header + info + pixel_bytes
