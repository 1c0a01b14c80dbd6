"""Uploaded bytes to arrays and results back to PNG, with HTTP statuses for every failure.

Uploads are decoded in memory by the runtime's own readers: Pillow when installed, limited to
``UPLOAD_FORMATS`` (its other plugins include EPS, which runs Ghostscript, and formats nobody
uploads from a browser); without Pillow the NumPy PNG and BMP codecs. Sizes are checked from
the headers before anything is decoded.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import struct
import warnings
from dataclasses import dataclass
from typing import NoReturn

import numpy as np

from rvwheels_runtime.image import (
    PNG_SIGNATURE,
    ImageError,
    ImageTooLarge,
    as_mask,
    as_rgb,
    decode_image,
    encode_png,
    pillow,
)
from rvwheels_runtime.serve.errors import ApiError

UPLOAD_FORMATS = ("PNG", "JPEG", "BMP", "WEBP")
_DATA_URL = re.compile(r"data:(?P<type>[^;,]*)(?:;[^,]*)?,(?P<data>.*)", re.DOTALL)
# Pillow's fastest zlib level: results go to a browser on the same machine, size hardly matters.
PNG_COMPRESS_LEVEL = 1


@dataclass(frozen=True, kw_only=True)
class Limits:
    max_pixels: int
    max_masked_pixels: int


def decode_pair(
    image_data: bytes, mask_data: bytes, limits: Limits
) -> tuple[np.ndarray, np.ndarray]:
    """The image (uint8 H×W×3) and mask (H×W): sizes from the headers first (413, 400), then
    the mask is decoded and its filled area checked (413), then the image."""
    sizes = [_checked_size(image_data, "image", limits), _checked_size(mask_data, "mask", limits)]
    if None not in sizes and sizes[0] != sizes[1]:
        _refuse_sizes(sizes[1], sizes[0])
    mask = as_mask(_decode(mask_data, "mask", limits.max_pixels))
    _check_masked_area(mask, limits.max_masked_pixels)
    image = as_rgb(_decode(image_data, "image", limits.max_pixels))
    if mask.shape != image.shape[:2]:
        _refuse_sizes(mask.shape[::-1], image.shape[1::-1])
    return image, mask


def _decode(data: bytes, what: str, max_pixels: int) -> np.ndarray:
    try:
        return decode_image(data, f"the {what}", max_pixels=max_pixels, formats=UPLOAD_FORMATS)
    except ImageTooLarge as err:
        raise ApiError(status=413, message=str(err)) from None
    except ImageError as err:
        raise ApiError(status=415, message=str(err)) from None


def _checked_size(data: bytes, what: str, limits: Limits) -> tuple[int, int] | None:
    """(width, height) from the header, refusing an empty upload (400) or too many pixels."""
    if not data:
        raise ApiError(status=400, message=f"the {what} is empty (0 bytes)")
    try:
        size = header_size(data)
    except ImageTooLarge as err:
        _refuse_pixels(what, str(err), limits.max_pixels)
    if size is not None and size[0] * size[1] > limits.max_pixels:
        width, height = size
        _refuse_pixels(what, f"{width}×{height} = {width * height}", limits.max_pixels)
    return size


def _refuse_pixels(what: str, pixels: str, max_pixels: int) -> NoReturn:
    message = (
        f"the {what} is {pixels} pixels, more than this server's limit of {max_pixels}; "
        "downscale it or restart the server with a larger --max-pixels"
    )
    raise ApiError(status=413, message=message)


def _check_masked_area(mask: np.ndarray, max_masked_pixels: int) -> None:
    """The worker's cost follows the filled area: refuse more than the limit (413)."""
    filled = int(np.count_nonzero(mask))
    if filled > max_masked_pixels:
        message = (
            f"the mask covers {filled} pixels, more than this server's limit of "
            f"{max_masked_pixels} per request; erase in smaller parts or restart the server "
            "with a larger --max-masked-pixels"
        )
        raise ApiError(status=413, message=message)


def _refuse_sizes(mask_size: tuple[int, ...], image_size: tuple[int, ...]) -> NoReturn:
    message = (
        f"the mask is {mask_size[0]}×{mask_size[1]} but the image is "
        f"{image_size[0]}×{image_size[1]}; they must be the same size"
    )
    raise ApiError(status=400, message=message)


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
            with image_module.open(io.BytesIO(data), formats=UPLOAD_FORMATS) as opened:
                return opened.size
    except image_module.DecompressionBombError:
        # Pillow refuses to say how large: more than twice its MAX_IMAGE_PIXELS.
        msg = f"more than {2 * (image_module.MAX_IMAGE_PIXELS or 0)}"
        raise ImageTooLarge(msg) from None
    except Exception:  # noqa: BLE001 - not an image, or damaged: the decoder says which
        return None


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
        message = f'"{what}" is a {match["type"]} data URL; send an image (PNG, JPEG, BMP or WebP)'
        raise ApiError(status=415, message=message)
    encoded = match["data"] if match else value
    try:
        return base64.b64decode(encoded, validate=False)
    except (binascii.Error, ValueError):
        raise ApiError(status=400, message=f'"{what}" is not valid base64') from None


def png_data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
