"""Uploaded bytes to arrays and results back to PNG, with HTTP statuses for every failure.

Uploads are decoded by the runtime's own readers (Pillow when installed, else the NumPy PNG
and BMP codecs) from a file in a per-request temporary directory that is removed right after.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import struct
import tempfile
import warnings
from pathlib import Path

import numpy as np

from rvwheels_runtime.image import (
    PNG_SIGNATURE,
    ImageError,
    encode_png,
    pillow,
    read_image,
    read_mask,
)

_DATA_URL = re.compile(r"data:(?P<type>[^;,]*)(?:;[^,]*)?,(?P<data>.*)", re.DOTALL)
# Pillow's fastest zlib level: results go to a browser on the same machine, size hardly matters.
PNG_COMPRESS_LEVEL = 1


class ApiError(Exception):
    """An error answered as ``{"error": message}`` with this HTTP status (and headers)."""

    def __init__(self, *, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


def decode_upload(
    data: bytes, what: str, *, workdir: Path, max_pixels: int, as_mask: bool = False
) -> np.ndarray:
    """``data`` as uint8 H×W×3 (or H×W for a mask); ``what`` names it in error messages."""
    if not data:
        raise ApiError(status=400, message=f"the {what} is empty (0 bytes)")
    _check_pixels(data, what, max_pixels)
    with tempfile.TemporaryDirectory(dir=workdir) as folder:
        path = Path(folder) / "upload"
        path.write_bytes(data)
        try:
            if as_mask:
                return read_mask(path, max_pixels=max_pixels)
            return read_image(path, max_pixels=max_pixels)
        except ImageError as err:
            message = str(err).replace(f"cannot read {path}", f"cannot read the {what}")
            raise ApiError(status=415, message=message.replace(str(path), f"the {what}")) from None


def _check_pixels(data: bytes, what: str, max_pixels: int) -> None:
    """Refuse an image with too many pixels from its header, before decoding it (413)."""
    size = header_size(data)
    if size is not None and size[0] * size[1] > max_pixels:
        width, height = size
        message = (
            f"the {what} is {width}×{height} = {width * height} pixels, more than this server's "
            f"limit of {max_pixels}; downscale it or restart the server with a larger --max-pixels"
        )
        raise ApiError(status=413, message=message)


def header_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a PNG or BMP header, or from Pillow (lazily) for other formats."""
    if data.startswith(PNG_SIGNATURE) and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    if data.startswith(b"BM") and len(data) >= 26:
        width, height = struct.unpack("<ii", data[18:26])
        return abs(width), abs(height)
    image_module = pillow()
    if image_module is None:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow's bomb warning: the limit is checked here
            with image_module.open(io.BytesIO(data)) as opened:
                return opened.size
    except Exception:  # noqa: BLE001 - not an image, or damaged: the decoder says which
        return None


def check_same_size(image: np.ndarray, mask: np.ndarray) -> None:
    if mask.shape != image.shape[:2]:
        message = (
            f"the mask is {mask.shape[1]}×{mask.shape[0]} but the image is "
            f"{image.shape[1]}×{image.shape[0]}; they must be the same size"
        )
        raise ApiError(status=400, message=message)


def png_bytes(image: np.ndarray) -> bytes:
    image_module = pillow()
    if image_module is None:
        return encode_png(image)
    buffer = io.BytesIO()
    image_module.fromarray(image).save(buffer, format="PNG", compress_level=PNG_COMPRESS_LEVEL)
    return buffer.getvalue()


def data_url_bytes(value: object, what: str) -> bytes:
    """The bytes of a ``data:...;base64,`` URL (bare base64 is accepted too)."""
    if not isinstance(value, str) or not value:
        raise ApiError(status=400, message=f'"{what}" must be a data URL string')
    match = _DATA_URL.fullmatch(value.strip())
    if match and match["type"] and not match["type"].startswith("image/"):
        message = f'"{what}" is a {match["type"]} data URL; send an image (PNG, JPEG or BMP)'
        raise ApiError(status=415, message=message)
    encoded = match["data"] if match else value
    try:
        return base64.b64decode(encoded, validate=False)
    except (binascii.Error, ValueError):
        raise ApiError(status=400, message=f'"{what}" is not valid base64') from None


def png_data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
