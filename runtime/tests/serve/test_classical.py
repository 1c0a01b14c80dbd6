"""The classical (harmonic) fill that the eraser uses when no model is given."""

from __future__ import annotations

import numpy as np
import pytest
from rvwheels_runtime.backends.classical import ClassicalBackend, harmonic_fill, region_boxes
from rvwheels_runtime.backends.contract import InputError

from .conftest import disc_mask, smooth_image


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    error = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float(10 * np.log10(255**2 / max(error, 1e-12)))


def test_fill_restores_a_smooth_image_better_than_the_mean():
    image = smooth_image(256, 256)
    mask = disc_mask(256, 256, 120, 140, 40)
    hole = mask > 0
    result = ClassicalBackend().inpaint(image, mask)
    mean_filled = image.copy()
    mean_filled[hole] = np.rint(image[~hole].mean(axis=0)).astype(np.uint8)
    filled, baseline = psnr(result[hole], image[hole]), psnr(mean_filled[hole], image[hole])
    assert filled > baseline + 15, (filled, baseline)
    assert np.array_equal(result[~hole], image[~hole])


def test_linear_ramp_is_filled_almost_exactly():
    # A linear function is harmonic: the fill must reproduce it up to rounding.
    ramp = np.linspace(0, 255, 64)
    image = np.repeat(np.broadcast_to(ramp, (48, 64))[:, :, None], 3, axis=2).round()
    image = image.astype(np.uint8)
    mask = disc_mask(48, 64, 24, 30, 10)
    result = ClassicalBackend().inpaint(image, mask)
    assert np.abs(result.astype(int) - image).max() <= 2


def test_mask_touching_the_border_and_several_regions():
    image = smooth_image(80, 120)
    mask = np.zeros((80, 120), np.uint8)
    mask[:10, :15] = 255  # the corner: the crop edge reflects
    mask[40:50, 60:70] = 255
    mask[70:80, 100:120] = 255
    result = ClassicalBackend().inpaint(image, mask)
    hole = mask > 0
    assert np.array_equal(result[~hole], image[~hole])
    assert np.abs(result[hole].astype(int) - image[hole]).mean() < 4


def test_whole_image_masked_becomes_grey():
    image = smooth_image(20, 30)
    result = ClassicalBackend().inpaint(image, np.full((20, 30), 255, np.uint8))
    assert (result == 128).all()


def test_empty_mask_and_bad_input():
    image = smooth_image(20, 30)
    assert np.array_equal(ClassicalBackend().inpaint(image, np.zeros((20, 30), np.uint8)), image)
    with pytest.raises(InputError, match="same size"):
        ClassicalBackend().inpaint(image, np.zeros((5, 5), np.uint8))
    with pytest.raises(ValueError, match="omega"):
        ClassicalBackend(omega=2.5)


def test_overlapping_region_boxes_are_merged():
    hole = np.zeros((100, 100), bool)
    hole[10:15, 10:15] = True
    hole[10:15, 30:35] = True  # 15 px apart: their 16 px margins overlap
    hole[80:85, 80:85] = True
    boxes = region_boxes(hole, 16)
    assert len(boxes) == 2
    assert (boxes[0].left, boxes[0].right) == (0, 51)


def test_progress_counts_the_regions():
    calls = []
    mask = np.zeros((100, 100), np.uint8)
    mask[10:15, 10:15] = mask[80:85, 80:85] = 255
    ClassicalBackend(progress=lambda *a: calls.append(a)).inpaint(smooth_image(100, 100), mask)
    assert calls == [("fill", 0, 2), ("fill", 1, 2), ("fill", 2, 2)]


def test_harmonic_fill_keeps_known_values():
    values = np.random.default_rng(0).random((40, 50, 3), dtype=np.float32)
    hole = disc_mask(40, 50, 20, 25, 8) > 0
    filled = harmonic_fill(values, hole)
    assert np.array_equal(filled[~hole], values[~hole])
    assert filled[hole].min() >= values.min() and filled[hole].max() <= values.max()
