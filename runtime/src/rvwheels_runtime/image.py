"""Read and write images as uint8 arrays: with Pillow when it is installed, else PNG and BMP.

The fallback codecs (``pngbmp``) need only numpy and zlib, so the runtime works on a bare
riscv64 Python. JPEG and other formats need Pillow. Every failure is a one-line ImageError.
"""

from __future__ import annotations

import io
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

import numpy as np

from rvwheels_runtime.pngbmp import (
    PNG_SIGNATURE,
    ImageError,
    ImageTooLarge,
    check_size,
    decode_bmp,
    decode_png,
    encode_bmp,
    encode_png,
)

JPEG_MAGIC = b"\xff\xd8\xff"
# The largest image the command line and the eraser accept unless told otherwise.
DEFAULT_MAX_PIXELS = 4096 * 4096
WITHOUT_PILLOW = (".png", ".bmp")


def pillow() -> ModuleType | None:
    """PIL.Image if Pillow is importable (tests replace this to exercise the fallback)."""
    try:
        from PIL import Image
    except ImportError:
        return None
    return Image


def read_image(path: str | os.PathLike[str], *, max_pixels: int | None = None) -> np.ndarray:
    """The image at ``path`` as uint8 H×W×3 RGB (grey is repeated, alpha dropped)."""
    return as_rgb(_decode(Path(path), max_pixels))


def read_mask(path: str | os.PathLike[str], *, max_pixels: int | None = None) -> np.ndarray:
    """The mask at ``path`` as uint8 H×W: a pixel is to be filled where it is not black (any
    colour channel > 0); fully transparent pixels count as black."""
    return as_mask(_decode(Path(path), max_pixels))


def as_rgb(array: np.ndarray) -> np.ndarray:
    """A decoded array (H×W, or H×W×1…4) as uint8 H×W×3 RGB."""
    if array.ndim == 2:
        array = array[:, :, None]
    if array.shape[2] in (1, 2):
        array = array[:, :, :1]
        return np.ascontiguousarray(np.repeat(array, 3, axis=2))
    return np.ascontiguousarray(array[:, :, :3])


def as_mask(array: np.ndarray) -> np.ndarray:
    """A decoded array as a uint8 H×W mask, as ``read_mask`` reads it."""
    if array.ndim == 2:
        return array
    colour_channels = 1 if array.shape[2] <= 2 else 3
    colour = array[:, :, :colour_channels].max(axis=2)
    if array.shape[2] in (2, 4):
        colour = np.where(array[:, :, -1] > 0, colour, 0).astype(np.uint8)
    return np.ascontiguousarray(colour)


def check_output(path: str | os.PathLike[str]) -> None:
    """Fail early, before any work, if ``path`` cannot be written as an image."""
    path = Path(path)
    if not path.parent.is_dir():
        msg = f"cannot write {path}: directory {path.parent} does not exist"
        raise ImageError(msg)
    suffix = path.suffix.lower()
    image_module = pillow()
    if image_module is None and suffix not in WITHOUT_PILLOW:
        msg = f"cannot write {path}: without Pillow only .png and .bmp work; pip install pillow"
        raise ImageError(msg)
    if image_module is not None and suffix not in image_module.registered_extensions():
        msg = (
            f"cannot write {path}: unknown image format {suffix or '(no suffix)'}; use .png or .jpg"
        )
        raise ImageError(msg)


def write_image(path: str | os.PathLike[str], image: np.ndarray) -> None:
    """Write uint8 H×W×3 RGB; the format follows the suffix (PNG/BMP work without Pillow)."""
    path = Path(path)
    suffix = path.suffix.lower()
    image_module = pillow()
    try:
        if image_module is not None:
            quality = {"quality": 95} if suffix in (".jpg", ".jpeg") else {}
            image_module.fromarray(image).save(path, **quality)
        elif suffix == ".png":
            path.write_bytes(encode_png(image))
        elif suffix == ".bmp":
            path.write_bytes(encode_bmp(image))
        else:
            msg = f"cannot write {path}: without Pillow only .png and .bmp work; pip install pillow"
            raise ImageError(msg)
    except (OSError, ValueError, KeyError) as err:
        if isinstance(err, ImageError):
            raise
        msg = f"cannot write {path}: {getattr(err, 'strerror', None) or err}"
        raise ImageError(msg) from None


def decode_image(
    data: bytes,
    source: str,
    *,
    max_pixels: int | None = None,
    formats: Sequence[str] | None = None,
) -> np.ndarray:
    """Encoded image bytes as an array (H×W or H×W×C uint8); ``source`` names them in errors.

    ``formats`` restricts Pillow to those of its plugins (e.g. ``("PNG", "JPEG")``); None lets
    it try every one. Without Pillow, PNG and BMP are decoded with numpy and zlib.
    """
    image_module = pillow()
    if image_module is not None:
        return _decode_pillow(image_module, data, source, max_pixels, formats)
    if data.startswith(PNG_SIGNATURE):
        return decode_png(data, source, max_pixels)
    if data.startswith(b"BM"):
        return decode_bmp(data, source, max_pixels)
    if data.startswith(JPEG_MAGIC) or (data.startswith(b"RIFF") and data[8:12] == b"WEBP"):
        kind = "JPEG" if data.startswith(JPEG_MAGIC) else "WebP"
        msg = (
            f"cannot read {source}: reading {kind} needs Pillow (pip install pillow) or a PNG copy"
        )
        raise ImageError(msg)
    msg = f"cannot read {source}: not a PNG or BMP file; pip install pillow for other formats"
    raise ImageError(msg)


def _decode(path: Path, max_pixels: int | None) -> np.ndarray:
    if not path.is_file():
        msg = f"cannot read {path}: no such file"
        raise ImageError(msg)
    try:
        data = path.read_bytes()
    except OSError as err:
        msg = f"cannot read {path}: {err.strerror}"
        raise ImageError(msg) from None
    return decode_image(data, str(path), max_pixels=max_pixels)


def _decode_pillow(
    image_module: ModuleType,
    data: bytes,
    source: str,
    max_pixels: int | None,
    formats: Sequence[str] | None,
) -> np.ndarray:
    from PIL import ImageOps, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            # Pillow's own bomb warning: the size is checked here against --max-pixels.
            warnings.simplefilter("ignore", image_module.DecompressionBombWarning)
            opened = image_module.open(io.BytesIO(data), formats=formats)
        with opened:
            check_size(opened.size[0], opened.size[1], max_pixels, source)
            opened.load()
            return _pillow_array(ImageOps.exif_transpose(opened))
    except UnidentifiedImageError:
        known = f"a {', '.join(formats)} image" if formats else "a format Pillow can read"
        msg = f"cannot read {source}: not an image file (or not {known})"
        raise ImageError(msg) from None
    except image_module.DecompressionBombError as err:
        msg = f"cannot read {source}: {err}"
        raise ImageTooLarge(msg) from None
    except (OSError, ValueError, SyntaxError) as err:
        if isinstance(err, ImageError):
            raise
        msg = f"cannot read {source}: damaged or truncated image ({err})"
        raise ImageError(msg) from None


def _pillow_array(picture: object) -> np.ndarray:
    mode = picture.mode  # type: ignore[attr-defined]
    if mode.startswith("I;16") or mode == "I":
        wide = np.asarray(picture).astype(np.uint32)
        return (wide >> 8 if wide.max(initial=0) > 255 else wide).astype(np.uint8)
    if mode == "P":
        transparent = "transparency" in picture.info  # type: ignore[attr-defined]
        picture = picture.convert("RGBA" if transparent else "RGB")  # type: ignore[attr-defined]
    elif mode not in ("L", "LA", "RGB", "RGBA"):
        picture = picture.convert("RGBA" if "A" in mode else "RGB")  # type: ignore[attr-defined]
    return np.asarray(picture, dtype=np.uint8)
