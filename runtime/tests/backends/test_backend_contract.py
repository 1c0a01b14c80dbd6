"""The shared pre/post-processing: padding, binarising, compositing, cropping back."""

from __future__ import annotations

import numpy as np
import pytest
from rvwheels_runtime.backends.contract import InputError, masked_input, padded_size, run_contract


def _image(height: int, width: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)


def _never(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    raise AssertionError("the model must not run")


def test_empty_mask_returns_the_image_without_running_the_model() -> None:
    image = _image(13, 21)
    out = run_contract(image, np.zeros((13, 21), np.uint8), _never)
    np.testing.assert_array_equal(out, image)
    assert out is not image


@pytest.mark.parametrize(
    ("size", "padded"), [(1, 16), (8, 16), (16, 16), (17, 24), (61, 64), (64, 64)]
)
def test_padded_size(size: int, padded: int) -> None:
    assert padded_size(size) == padded


def test_model_sees_symmetric_padding_and_binary_mask() -> None:
    image, mask = _image(19, 30), np.zeros((19, 30), np.uint8)
    mask[3:9, 4:12] = 1  # any non-zero value means "fill"
    mask[10, 20] = 200
    seen = {}

    def predict(img: np.ndarray, msk: np.ndarray) -> np.ndarray:
        seen["image"], seen["mask"] = img, msk
        return np.zeros_like(img)

    run_contract(image, mask, predict)
    img, msk = seen["image"], seen["mask"]
    assert img.shape == (3, 24, 32) and msk.shape == (1, 24, 32)
    assert img.dtype == np.float32 and msk.dtype == np.float32
    expected = np.pad(image, ((0, 5), (0, 2), (0, 0)), mode="symmetric").transpose(2, 0, 1) / 255
    np.testing.assert_allclose(img, expected, rtol=0, atol=1e-7)
    assert set(np.unique(msk)) == {0.0, 1.0}
    np.testing.assert_array_equal(msk[0, :19, :30], mask > 0)
    np.testing.assert_array_equal(msk[0, 19:, :30], (mask > 0)[::-1][:5])  # mirrored rows


def test_output_blends_prediction_into_the_hole_only() -> None:
    image, mask = _image(20, 20, seed=1), np.zeros((20, 20), np.uint8)
    mask[5:15, 2:9] = 255
    pred = np.random.default_rng(2).uniform(-0.2, 1.2, (3, 24, 24)).astype(np.float32)
    pred[0, 6, 3] = np.nan
    out = run_contract(image, mask, lambda img, msk: pred)
    hole = mask > 0
    np.testing.assert_array_equal(out[~hole], image[~hole])
    expected = (
        np.clip(np.nan_to_num(pred[:, :20, :20]) * 255, 0, 255).astype(np.uint8).transpose(1, 2, 0)
    )
    np.testing.assert_array_equal(out[hole], expected[hole])
    assert out[6, 3, 0] == 0


def test_generator_input_zeroes_the_hole() -> None:
    image = np.full((3, 16, 16), 0.5, np.float32)
    mask = np.zeros((1, 16, 16), np.float32)
    mask[0, :4] = 1
    x = masked_input(image, mask)
    assert x.shape == (4, 16, 16)
    assert (x[:3, :4] == 0).all() and (x[:3, 4:] == 0.5).all()
    np.testing.assert_array_equal(x[3], mask[0])


@pytest.mark.parametrize(
    ("image", "mask", "match"),
    [
        (np.zeros((8, 8, 3), np.float32), np.zeros((8, 8), np.uint8), "uint8 H×W×3"),
        (np.zeros((8, 8), np.uint8), np.zeros((8, 8), np.uint8), "uint8 H×W×3"),
        (np.zeros((8, 8, 3), np.uint8), np.zeros((8, 8, 1), np.uint8), "uint8 H×W array"),
        (
            np.zeros((8, 9, 3), np.uint8),
            np.zeros((8, 8), np.uint8),
            "mask is 8×8 but the image is 9×8",
        ),
    ],
)
def test_bad_inputs_are_refused(image: np.ndarray, mask: np.ndarray, match: str) -> None:
    with pytest.raises(InputError, match=match):
        run_contract(image, mask, _never)


def test_prediction_of_the_wrong_shape_is_refused() -> None:
    mask = np.ones((16, 16), np.uint8)
    with pytest.raises(InputError, match="returned shape"):
        run_contract(_image(16, 16), mask, lambda img, msk: np.zeros((3, 8, 8), np.float32))
