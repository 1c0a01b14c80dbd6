"""Regenerate ``rvwheels_runtime/data/``: the tiny synthetic picture and its torch reference.

    python runtime/tests/model/make_tiny_data.py

Run on x86_64 with torch installed. The picture is drawn from arithmetic only (no RNG), the
reference is the independent torch generator (``runtime/tests/torch_lama.py``) on
``tiny_weights()``. ``test_tiny.py`` checks the stored files against both.
"""

from __future__ import annotations

import importlib.util
import struct
import sys
import zlib
from pathlib import Path

import numpy as np

HEIGHT, WIDTH = 64, 96
DATA = Path(__file__).resolve().parents[2] / "src" / "rvwheels_runtime" / "data"


def synthetic_picture() -> tuple[np.ndarray, np.ndarray]:
    """Gradients, a disc, a box and stripes; the mask is a box plus a small disc."""
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float64)
    red = x / (WIDTH - 1)
    green = y / (HEIGHT - 1)
    blue = 0.5 + 0.5 * np.sin(x / 7.0) * np.cos(y / 5.0)
    image = np.stack([red, green, blue], axis=-1)
    disc = (x - 70) ** 2 + (y - 20) ** 2 < 12**2
    image[disc] = (0.9, 0.2, 0.1)
    image[40:58, 8:30] = (0.1, 0.3, 0.8)
    stripes = ((x + y) // 4 % 2 == 0) & (y > 44) & (x > 50)
    image[stripes] = (1.0, 1.0, 0.6)
    mask = np.zeros((HEIGHT, WIDTH), np.uint8)
    mask[18:38, 30:62] = 255
    mask[(x - 20) ** 2 + (y - 14) ** 2 < 6**2] = 255
    return np.round(image * 255).astype(np.uint8), mask


def encode_png(array: np.ndarray) -> bytes:
    """8-bit grey (H×W) or RGB (H×W×3) PNG, filter 0 on every row."""
    height, width = array.shape[:2]
    colour = 2 if array.ndim == 3 else 0
    raw = b"".join(b"\0" + array[row].tobytes() for row in range(height))

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, colour, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def torch_reference(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The independent torch generator's output on the tiny weights."""
    from rvwheels_runtime.tiny import TINY_CONFIG, generator_input, tiny_weights

    path = Path(__file__).resolve().parents[1] / "torch_lama.py"
    spec = importlib.util.spec_from_file_location("torch_lama", path)
    torch_lama = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("torch_lama", torch_lama)
    spec.loader.exec_module(torch_lama)
    config = TINY_CONFIG
    model = torch_lama.torch_lama_from_weights(
        tiny_weights(),
        ngf=config.ngf,
        n_downsampling=config.n_downsampling,
        n_blocks=config.n_blocks,
        ratio=config.ratio,
    )
    return torch_lama.run_torch(model, generator_input(image, mask))


def main() -> None:
    image, mask = synthetic_picture()
    DATA.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(DATA / "tiny_input.npz", image=image, mask=mask)
    (DATA / "tiny_image.png").write_bytes(encode_png(image))
    (DATA / "tiny_mask.png").write_bytes(encode_png(mask))
    np.save(DATA / "tiny_reference.npy", torch_reference(image, mask).astype(np.float32))
    for path in sorted(DATA.iterdir()):
        print(f"{path.name}: {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
