"""The bundled tiny model self-check, and its data against what produced it."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
from rvwheels_runtime import tiny
from rvwheels_runtime.model.layout import expected_shapes, random_weights

HERE = Path(__file__).resolve().parent


def _maker():
    spec = importlib.util.spec_from_file_location("make_tiny_data", HERE / "make_tiny_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_tiny_check_passes_quickly() -> None:
    result = tiny.run_tiny_check(threads=1)
    assert result["ok"] is True
    assert result["max_abs_diff"] <= tiny.TOLERANCE
    assert 0 < result["seconds"] < 5


def test_tiny_check_fails_on_other_weights(monkeypatch) -> None:
    monkeypatch.setattr(tiny, "tiny_weights", lambda: random_weights(tiny.TINY_CONFIG, seed=1))
    result = tiny.run_tiny_check(threads=1)
    assert result["ok"] is False and result["max_abs_diff"] > 1e-3


def test_tiny_weights_are_seeded_and_complete() -> None:
    first, again = tiny.tiny_weights(), tiny.tiny_weights()
    assert set(expected_shapes(tiny.TINY_CONFIG)) <= set(first)
    for key, value in first.items():
        np.testing.assert_array_equal(value, again[key])


def test_bundled_picture_is_the_synthetic_one() -> None:
    image, mask = tiny.tiny_picture()
    expected_image, expected_mask = _maker().synthetic_picture()
    np.testing.assert_array_equal(image, expected_image)
    np.testing.assert_array_equal(mask, expected_mask)
    assert image.shape == (64, 96, 3) and 0.05 < (mask > 0).mean() < 0.3
    data = Path(tiny.__file__).parent / "data"
    assert (data / "tiny_input.npz").stat().st_size < 50_000


def test_bundled_reference_is_the_torch_output(torch_lama) -> None:
    image, mask = tiny.tiny_picture()
    fresh = _maker().torch_reference(image, mask)
    np.testing.assert_allclose(tiny.tiny_reference(), fresh, rtol=0, atol=1e-6)


def test_torch_check_agrees_with_numpy() -> None:
    import pytest

    pytest.importorskip("torch")
    result = tiny.run_tiny_torch_check(threads=1)
    assert result["ok"] is True and result["max_abs_diff"] <= tiny.TOLERANCE
