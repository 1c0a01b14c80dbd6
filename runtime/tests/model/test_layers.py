"""Each GEMM layer against torch.nn.functional, on odd sizes and band boundaries."""

from __future__ import annotations

import numpy as np
import pytest
from rvwheels_runtime.model.blocks import PaddedMap
from rvwheels_runtime.model.layers import ConvLayer, ConvTransposeLayer, OutputConvLayer

torch = pytest.importorskip("torch")
F = torch.nn.functional


def _rand(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def _run_whole(layer, x: np.ndarray) -> np.ndarray:
    height, width = layer.out_size(*x.shape[1:])
    out = np.empty((layer.cout, height, width), np.float32)
    layer.run(x, 0, x.shape[1], 0, height, out)
    return out


@pytest.mark.parametrize(("stride", "pad", "kernel"), [(1, 3, 7), (2, 1, 3), (1, 1, 3)])
def test_conv_layer_is_reflect_conv_bias_relu(stride: int, pad: int, kernel: int) -> None:
    x, weight, bias = _rand(5, 14, 22), _rand(6, 5, kernel, kernel, seed=1), _rand(6, seed=2)
    layer = ConvLayer(weight, bias, stride=stride, pad=pad)
    padded = F.pad(torch.from_numpy(x)[None], (pad,) * 4, mode="reflect")
    expected = F.relu(F.conv2d(padded, torch.from_numpy(weight), torch.from_numpy(bias), stride))
    np.testing.assert_allclose(_run_whole(layer, x), expected[0].numpy(), atol=1e-4)


def test_conv_layer_band_rows_match_whole_map() -> None:
    x, weight, bias = _rand(3, 20, 9), _rand(4, 3, 7, 7, seed=1), _rand(4, seed=2)
    layer = ConvLayer(weight, bias, stride=1, pad=3)
    whole = _run_whole(layer, x)
    for a, b in [(0, 2), (5, 11), (17, 20)]:
        lo, hi = layer.in_range(a, b, 20)
        out = np.empty((4, b - a, 9), np.float32)
        layer.run(x[:, lo:hi], lo, 20, a, b, out)
        np.testing.assert_allclose(out, whole[:, a:b], rtol=1e-5, atol=1e-5)  # GEMM rounding


def test_output_conv_is_reflect_conv_bias_sigmoid() -> None:
    x, weight, bias = _rand(8, 11, 13), _rand(3, 8, 7, 7, seed=1) * 0.1, _rand(3, seed=2)
    layer = OutputConvLayer(weight, bias)
    padded = F.pad(torch.from_numpy(x)[None], (3,) * 4, mode="reflect")
    expected = torch.sigmoid(F.conv2d(padded, torch.from_numpy(weight), torch.from_numpy(bias)))
    np.testing.assert_allclose(_run_whole(layer, x), expected[0].numpy(), atol=1e-6)


def test_output_sigmoid_saturates_without_warnings() -> None:
    weight = np.full((1, 1, 3, 3), 1e3, np.float32)
    out = _run_whole(OutputConvLayer(weight, np.zeros(1)), np.sign(_rand(1, 6, 6)) * 10)
    assert set(np.unique(out)) <= {0.0, 1.0}


def test_conv_transpose_layer_matches_torch() -> None:
    x, weight, bias = _rand(6, 5, 7), _rand(6, 4, 3, 3, seed=1), _rand(4, seed=2)
    layer = ConvTransposeLayer(weight, bias)
    expected = F.relu(
        F.conv_transpose2d(
            torch.from_numpy(x)[None],
            torch.from_numpy(weight),
            torch.from_numpy(bias),
            stride=2,
            padding=1,
            output_padding=1,
        )
    )
    np.testing.assert_allclose(_run_whole(layer, x), expected[0].numpy(), atol=1e-5)


def test_padded_map_reflects_like_reflection_pad() -> None:
    x = _rand(2, 5, 6)
    padded = PaddedMap(2, 5, 6)
    padded.interior[...] = x
    padded.refresh_padding()
    expected = F.pad(torch.from_numpy(x)[None], (1,) * 4, mode="reflect")[0].numpy()
    np.testing.assert_array_equal(padded.grid, expected)
