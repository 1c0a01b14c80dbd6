"""Image I/O with Pillow and with the numpy+zlib fallback codecs."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from rvwheels_runtime import image as image_io
from rvwheels_runtime.image import (
    ImageError,
    check_output,
    decode_bmp,
    decode_png,
    read_image,
    read_mask,
    write_image,
)


@pytest.fixture
def no_pillow(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(image_io, "pillow", lambda: None)


@pytest.fixture
def picture() -> np.ndarray:
    """Smooth gradients plus noise rows, so PNG encoders pick every row filter."""
    y, x = np.mgrid[0:57, 0:83]
    array = np.stack([(x + y) % 256, (3 * x) % 256, (x * y // 7) % 256], axis=2).astype(np.uint8)
    array[::6] = np.random.default_rng(0).integers(0, 256, array[::6].shape, dtype=np.uint8)
    return array


@pytest.mark.parametrize("suffix", [".png", ".bmp"])
def test_fallback_round_trip(
    no_pillow: None, tmp_path: Path, picture: np.ndarray, suffix: str
) -> None:
    path = tmp_path / f"out{suffix}"
    write_image(path, picture)
    np.testing.assert_array_equal(read_image(path), picture)


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "LA", "P", "1", "I;16"])
@pytest.mark.parametrize("options", [{}, {"optimize": True}, {"compress_level": 0}])
def test_fallback_png_decoder_agrees_with_pillow(
    picture: np.ndarray, mode: str, options: dict
) -> None:
    Image = pytest.importorskip("PIL.Image")
    if mode == "I;16":
        source = Image.fromarray(picture[:, :, 0].astype(np.uint16) * 257)
    else:
        source = Image.fromarray(picture).convert(mode)
    buffer = io.BytesIO()
    source.save(buffer, "PNG", **options)
    ours = decode_png(buffer.getvalue(), "test.png")
    decoded = Image.open(io.BytesIO(buffer.getvalue()))
    expected = {
        "P": lambda: np.asarray(decoded.convert("RGB")),
        "1": lambda: np.asarray(decoded.convert("L")),
        "I;16": lambda: (np.asarray(decoded).astype(np.uint32) >> 8).astype(np.uint8),
    }.get(mode, lambda: np.asarray(decoded))()
    np.testing.assert_array_equal(ours, expected)


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "P", "1"])
def test_fallback_bmp_decoder_agrees_with_pillow(picture: np.ndarray, mode: str) -> None:
    Image = pytest.importorskip("PIL.Image")
    source = Image.fromarray(picture).convert(mode)
    buffer = io.BytesIO()
    source.save(buffer, "BMP")
    ours = decode_bmp(buffer.getvalue(), "test.bmp")
    np.testing.assert_array_equal(ours[:, :, :3], np.asarray(source.convert("RGB")))


def test_our_files_open_in_pillow(tmp_path: Path, picture: np.ndarray, monkeypatch) -> None:
    Image = pytest.importorskip("PIL.Image")
    monkeypatch.setattr(image_io, "pillow", lambda: None)
    for suffix in (".png", ".bmp"):
        write_image(tmp_path / f"ours{suffix}", picture)
        with Image.open(tmp_path / f"ours{suffix}") as opened:
            np.testing.assert_array_equal(np.asarray(opened), picture)


@pytest.mark.parametrize("use_pillow", [True, False], ids=["pillow", "fallback"])
def test_grey_image_becomes_rgb_and_mask_reads_non_black(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, use_pillow: bool
) -> None:
    if use_pillow:
        pytest.importorskip("PIL.Image")
    else:
        monkeypatch.setattr(image_io, "pillow", lambda: None)
    grey = np.arange(12 * 10, dtype=np.uint8).reshape(12, 10)
    (tmp_path / "grey.png").write_bytes(image_io.encode_png(grey))
    rgb = read_image(tmp_path / "grey.png")
    assert rgb.shape == (12, 10, 3) and (rgb == grey[:, :, None]).all()
    rgba = np.zeros((4, 5, 4), np.uint8)
    rgba[0, 0] = (0, 0, 9, 255)  # dark blue, opaque: fill
    rgba[1, 1] = (255, 255, 255, 0)  # white but transparent: keep
    rgba[2, 2] = (0, 0, 0, 255)  # black: keep
    (tmp_path / "mask.png").write_bytes(image_io.encode_png(rgba))
    mask = read_mask(tmp_path / "mask.png")
    assert mask.shape == (4, 5)
    assert mask[0, 0] > 0 and mask[1, 1] == 0 and mask[2, 2] == 0 and mask.sum() == mask[0, 0]


def test_jpeg_needs_pillow(no_pillow: None, tmp_path: Path) -> None:
    (tmp_path / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 100)
    with pytest.raises(ImageError, match="reading JPEG needs Pillow"):
        read_image(tmp_path / "photo.jpg")
    with pytest.raises(ImageError, match="pip install pillow"):
        check_output(tmp_path / "out.jpg")


def test_jpeg_with_pillow(tmp_path: Path) -> None:
    pytest.importorskip("PIL.Image")
    y, x = np.mgrid[0:40, 0:64]
    smooth = np.stack([x * 4, y * 6, (x + y) * 2], axis=2).astype(np.uint8)
    write_image(tmp_path / "out.jpg", smooth)
    back = read_image(tmp_path / "out.jpg")
    assert back.shape == smooth.shape
    assert np.abs(back.astype(int) - smooth).mean() < 2  # lossy, but the same picture


@pytest.mark.parametrize("use_pillow", [True, False], ids=["pillow", "fallback"])
def test_damaged_files_are_one_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, picture: np.ndarray, use_pillow: bool
) -> None:
    if use_pillow:
        pytest.importorskip("PIL.Image")
    else:
        monkeypatch.setattr(image_io, "pillow", lambda: None)
    png = image_io.encode_png(picture)
    cases = {
        "missing.png": None,
        "cut.png": png[: len(png) // 2],
        "crc.png": png[:40] + bytes([png[40] ^ 0xFF]) + png[41:],
        "text.png": b"definitely not an image",
        "cut.bmp": image_io.encode_bmp(picture)[:300],
    }
    for name, data in cases.items():
        if data is not None:
            (tmp_path / name).write_bytes(data)
        with pytest.raises(ImageError, match=name):
            read_image(tmp_path / name)


@pytest.mark.parametrize("use_pillow", [True, False], ids=["pillow", "fallback"])
@pytest.mark.parametrize("suffix", [".png", ".bmp"])
def test_max_pixels_is_checked_before_decoding(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    picture: np.ndarray,
    use_pillow: bool,
    suffix: str,
) -> None:
    if use_pillow:
        pytest.importorskip("PIL.Image")
    else:
        monkeypatch.setattr(image_io, "pillow", lambda: None)
    encode = image_io.encode_png if suffix == ".png" else image_io.encode_bmp
    (tmp_path / f"big{suffix}").write_bytes(encode(picture))
    with pytest.raises(ImageError, match=r"83×57 = 4731 pixels, more than the limit of 4730"):
        read_image(tmp_path / f"big{suffix}", max_pixels=4730)
    assert read_image(tmp_path / f"big{suffix}", max_pixels=4731).shape == picture.shape


def test_check_output(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="does not exist"):
        check_output(tmp_path / "nowhere" / "out.png")
    check_output(tmp_path / "out.png")
    if image_io.pillow() is not None:
        with pytest.raises(ImageError, match="unknown image format .xyz"):
            check_output(tmp_path / "out.xyz")
