"""State-dict layout: the official key names, config inference and one-line errors."""

from __future__ import annotations

import numpy as np
import pytest
from rvwheels_runtime.model import (
    BIG_LAMA,
    LamaConfig,
    LamaGenerator,
    config_from_weights,
    expected_shapes,
    random_weights,
)

TINY = LamaConfig(ngf=8, n_blocks=2)


def _shaped_zeros(config: LamaConfig) -> dict[str, np.ndarray]:
    """Every key at its shape, without allocating big-lama's 200 MB."""
    return {
        key: np.broadcast_to(np.float32(0), shape) for key, shape in expected_shapes(config).items()
    }


def test_big_lama_keys_follow_the_official_checkpoint() -> None:
    shapes = expected_shapes(BIG_LAMA)
    assert shapes["model.1.ffc.convl2l.weight"] == (64, 4, 7, 7)
    assert shapes["model.4.ffc.convl2g.weight"] == (384, 256, 3, 3)
    assert shapes["model.5.conv1.ffc.convg2g.fu.conv_layer.weight"] == (384, 384, 1, 1)
    assert shapes["model.22.conv2.ffc.convg2l.weight"] == (128, 384, 3, 3)
    assert shapes["model.24.weight"] == (512, 256, 3, 3)
    assert shapes["model.31.running_var"] == (64,)
    assert shapes["model.34.weight"] == (3, 64, 7, 7)
    assert "model.23.weight" not in shapes and "model.35.weight" not in shapes
    assert sum(int(np.prod(s)) for s in shapes.values()) == pytest.approx(51.0e6, rel=2e-3)


def test_torch_reference_has_exactly_these_keys(torch_lama) -> None:
    for config in (TINY, BIG_LAMA):
        model = torch_lama.TorchLama(ngf=config.ngf, n_blocks=config.n_blocks)
        state = {k: tuple(v.shape) for k, v in model.state_dict().items()}
        counters = {k for k in state if k.endswith(".num_batches_tracked")}
        assert {k: v for k, v in state.items() if k not in counters} == expected_shapes(config)
        assert {k.removesuffix(".num_batches_tracked") for k in counters} == {
            k.removesuffix(".running_var") for k in state if k.endswith(".running_var")
        }


@pytest.mark.parametrize(
    "config",
    [
        BIG_LAMA,
        TINY,
        LamaConfig(ngf=16, n_downsampling=2, n_blocks=0, ratio=0.5),
        LamaConfig(in_channels=5, out_channels=1, ngf=4, n_blocks=3, ratio=0.6),
    ],
)
def test_config_is_inferred_from_weights(config: LamaConfig) -> None:
    inferred = config_from_weights(_shaped_zeros(config))
    # ratio 0.6 of 32 channels and 19/32 give the same network
    assert expected_shapes(inferred) == expected_shapes(config)
    assert inferred.global_channels == config.global_channels
    assert (inferred.ngf, inferred.n_blocks, inferred.n_downsampling) == (
        config.ngf,
        config.n_blocks,
        config.n_downsampling,
    )


def _error(weights: dict[str, np.ndarray], config: LamaConfig | None = TINY) -> str:
    with pytest.raises(ValueError) as caught:
        LamaGenerator(weights, config)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_missing_key_is_named() -> None:
    weights = random_weights(TINY)
    del weights["model.6.conv2.ffc.convg2g.fu.bn.running_mean"]
    assert "'model.6.conv2.ffc.convg2g.fu.bn.running_mean'" in _error(weights)


def test_unexpected_key_is_named() -> None:
    weights = random_weights(TINY) | {"model.5.conv1.ffc.gate.weight": np.zeros((2, 64, 1, 1))}
    assert "unexpected weight key 'model.5.conv1.ffc.gate.weight'" in _error(weights)


def test_misshapen_key_is_named() -> None:
    weights = random_weights(TINY)
    key = f"model.{TINY.up_index(0)}.weight"  # ConvTranspose2d: (in, out, k, k)
    weights[key] = np.zeros((32, 64, 3, 3), np.float32)
    message = _error(weights)
    assert f"'{key}'" in message and "(32, 64, 3, 3)" in message and "(64, 32, 3, 3)" in message


def test_lightning_prefix_gets_a_hint() -> None:
    weights = {f"generator.{k}": v for k, v in random_weights(TINY).items()}
    assert "generator." in _error(weights, None)
    weights = random_weights(TINY) | {"generator.model.1.ffc.convl2l.weight": np.zeros(1)}
    assert "strip the 'generator.' prefix" in _error(weights)


def test_num_batches_tracked_is_optional() -> None:
    weights = {k: v for k, v in random_weights(TINY).items() if not k.endswith("tracked")}
    LamaGenerator(weights, TINY)


def test_wrong_block_count_is_reported() -> None:
    assert "n_blocks=3" in _error(random_weights(TINY), LamaConfig(ngf=8, n_blocks=3))


@pytest.mark.parametrize(
    ("key", "shape"),
    [
        ("model.1.ffc.convl2l.weight", ()),
        ("model.1.ffc.convl2l.weight", (8,)),
        ("model.1.ffc.convl2l.weight", (0, 4, 7, 7)),
        ("model.4.ffc.convl2g.weight", ()),
        (f"model.{TINY.final_index}.weight", (3, 8)),
    ],
)
def test_shapes_that_are_no_convolution_are_value_errors(key: str, shape: tuple) -> None:
    # They used to raise IndexError or ZeroDivisionError from the inference.
    weights = _shaped_zeros(TINY) | {key: np.zeros(shape, np.float32)}
    with pytest.raises(ValueError, match=rf"'{key}' has shape .* expected a 4-D convolution"):
        config_from_weights(weights)


def test_absurd_depth_is_a_value_error() -> None:
    weights = _shaped_zeros(TINY)
    weights |= {f"model.{i}.ffc.convl2l.weight": np.zeros((1, 1, 1, 1)) for i in range(2, 40)}
    with pytest.raises(ValueError, match="downsampling layers, more than 16"):
        config_from_weights(weights)


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"ngf": 0}, "ngf must be >= 1"),
        ({"ratio": 1.0}, "no local or no global"),
        ({"n_blocks": -1}, "n_blocks must be >= 0"),
    ],
)
def test_bad_config_values(kwargs: dict, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        LamaConfig(**kwargs)


def test_bad_runtime_options() -> None:
    with pytest.raises(ValueError, match="threads"):
        LamaGenerator(random_weights(TINY), threads=0)
    with pytest.raises(ValueError, match="strip_rows"):
        LamaGenerator(random_weights(TINY), strip_rows=0)
