"""Row strips and GEMM chunks change memory use, never the result."""

from __future__ import annotations

import numpy as np
import pytest
from rvwheels_runtime.model import LamaConfig, LamaGenerator, blocks, layers, random_weights, stream

TINY = LamaConfig(ngf=8, n_blocks=2)


def _input(height: int, width: int) -> np.ndarray:
    return (
        np.random.default_rng(height * width).uniform(0, 1, (4, height, width)).astype(np.float32)
    )


@pytest.fixture(scope="module")
def weights() -> dict[str, np.ndarray]:
    return random_weights(TINY, seed=3)


@pytest.fixture(scope="module")
def tall_input() -> np.ndarray:
    return _input(136, 40)


@pytest.fixture(scope="module")
def untiled(weights, tall_input) -> np.ndarray:
    return LamaGenerator(weights, threads=1, strip_rows=10_000).forward(tall_input)


@pytest.mark.parametrize("strip_rows", [1, 5, 8, 13, 24, 64, None])
def test_strips_equal_untiled(weights, tall_input, untiled, strip_rows) -> None:
    out = LamaGenerator(weights, threads=1, strip_rows=strip_rows).forward(tall_input)
    np.testing.assert_allclose(out, untiled, rtol=0, atol=1e-6)


def test_small_gemm_chunks_equal_large_ones(weights, tall_input, untiled, monkeypatch) -> None:
    monkeypatch.setattr(layers, "CHUNK_BYTES", 1)  # one output row per GEMM
    monkeypatch.setattr(blocks, "CHUNK_BYTES", 1)
    monkeypatch.setattr(blocks, "MIN_CHUNK_COLUMNS", 1)
    out = LamaGenerator(weights, threads=1, strip_rows=16).forward(tall_input)
    np.testing.assert_allclose(out, untiled, rtol=0, atol=1e-6)


def _largest_band_rows(weights, height: int, monkeypatch) -> int:
    largest = 0
    extend = stream.Stage._extend

    def recording(self, lo: int, hi: int) -> None:
        nonlocal largest
        extend(self, lo, hi)
        largest = max(largest, self.buffer.shape[1])

    monkeypatch.setattr(stream.Stage, "_extend", recording)
    LamaGenerator(weights, threads=1, strip_rows=16).forward(_input(height, 24))
    return largest


def test_band_memory_does_not_grow_with_image_height(weights, monkeypatch) -> None:
    short = _largest_band_rows(weights, 64, monkeypatch)
    tall = _largest_band_rows(weights, 512, monkeypatch)
    assert short == tall
    assert tall <= 16 + 8  # strip plus the 7×7 output conv's halo


def test_stage_refuses_to_go_backwards() -> None:
    layer = layers.OutputConvLayer(np.ones((1, 1, 3, 3)), np.zeros(1))
    stage = stream.chain([layer], np.ones((1, 8, 8), np.float32))
    stage.get(4, 8)
    with pytest.raises(RuntimeError, match="backwards"):
        stage.get(0, 2)
