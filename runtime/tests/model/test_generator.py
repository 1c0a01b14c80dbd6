"""The NumPy generator against the independent torch reference, on the same random weights."""

from __future__ import annotations

import numpy as np
import pytest
from rvwheels_runtime.model import LamaConfig, LamaGenerator, random_weights

TINY = LamaConfig(ngf=8, n_blocks=2)
FULL_WIDTH = LamaConfig(ngf=64, n_blocks=1)  # big-lama's channel counts, one block
TOLERANCE = 2e-5


def _input(height: int, width: int, channels: int = 4, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, (channels, height, width)).astype(np.float32)
    x[-1] = (x[-1] > 0.7).astype(np.float32)  # a binary mask channel, as in LaMa
    x[:-1] *= 1 - x[-1]
    return x


def _torch_output(torch_lama, weights, config: LamaConfig, x: np.ndarray) -> np.ndarray:
    model = torch_lama.torch_lama_from_weights(
        weights,
        in_channels=config.in_channels,
        out_channels=config.out_channels,
        ngf=config.ngf,
        n_downsampling=config.n_downsampling,
        n_blocks=config.n_blocks,
        ratio=config.ratio,
    )
    return torch_lama.run_torch(model, x)


@pytest.mark.parametrize(
    ("config", "height", "width"),
    [
        (TINY, 24, 40),
        (TINY, 56, 32),
        (TINY, 16, 120),
        (FULL_WIDTH, 32, 48),
        (LamaConfig(ngf=16, n_downsampling=2, n_blocks=1, ratio=0.5), 20, 28),
        (LamaConfig(in_channels=5, out_channels=2, ngf=8, n_blocks=1, ratio=0.6), 24, 16),
    ],
    ids=["tiny-24x40", "tiny-56x32", "tiny-16x120", "ngf64-32x48", "2down-ratio0.5", "5in-2out"],
)
def test_matches_torch_reference(torch_lama, config: LamaConfig, height: int, width: int) -> None:
    weights = random_weights(config, seed=height + width)
    x = _input(height, width, config.in_channels)
    expected = _torch_output(torch_lama, weights, config, x)
    out = LamaGenerator(weights, config, threads=2).forward(x)
    assert out.shape == (config.out_channels, height, width) and out.dtype == np.float32
    np.testing.assert_allclose(out, expected, rtol=0, atol=TOLERANCE)
    assert expected.std() > 1e-3  # the comparison is not between two constants


def test_inferred_config_gives_the_same_output() -> None:
    weights = random_weights(TINY, seed=5)
    x = _input(32, 24)
    inferred = LamaGenerator(weights, threads=1)
    assert inferred.config == TINY
    explicit = LamaGenerator(weights, TINY, threads=1)
    np.testing.assert_array_equal(inferred.forward(x), explicit.forward(x))


def test_thread_counts_agree() -> None:
    weights = random_weights(TINY, seed=6)
    x = _input(40, 48)
    one = LamaGenerator(weights, threads=1).forward(x)
    two = LamaGenerator(weights, threads=2).forward(x)
    np.testing.assert_allclose(one, two, rtol=0, atol=1e-6)


def test_progress_reports_every_stage_to_completion() -> None:
    calls: list[tuple[str, int, int]] = []
    generator = LamaGenerator(
        random_weights(TINY), strip_rows=16, progress=lambda *call: calls.append(call)
    )
    generator.forward(_input(48, 32))
    stages = [stage for stage, _, _ in calls]
    assert stages == sorted(stages, key=["encoder", "blocks", "decoder"].index)
    for stage, total in (("encoder", 3), ("blocks", TINY.n_blocks), ("decoder", 3)):
        done = [d for s, d, t in calls if s == stage and t == total]
        assert done == list(range(1, total + 1)), stage


@pytest.mark.parametrize(
    ("shape", "fragment"),
    [((4, 30, 32), "multiples of 8"), ((4, 8, 32), "at least 16"), ((3, 32, 32), "(4, H, W)")],
)
def test_rejects_bad_input_shapes(shape: tuple[int, ...], fragment: str) -> None:
    generator = LamaGenerator(random_weights(TINY))
    with pytest.raises(ValueError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        generator.forward(np.zeros(shape, np.float32))


def test_accepts_float64_and_non_contiguous_input() -> None:
    weights = random_weights(TINY, seed=7)
    x = _input(32, 40)
    generator = LamaGenerator(weights)
    expected = generator.forward(x)
    wide = np.zeros((4, 32, 80), np.float64)
    wide[:, :, ::2] = x
    np.testing.assert_allclose(generator.forward(wide[:, :, ::2]), expected, atol=1e-6)
