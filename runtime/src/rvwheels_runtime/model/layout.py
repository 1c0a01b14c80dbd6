"""The state-dict layout of a LaMa generator: every key and shape, checking and random filling."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from rvwheels_runtime.model.config import LamaConfig

Shapes = dict[str, tuple[int, ...]]

# BatchNorm's step counter: in the official checkpoint, meaningless in eval mode.
BN_COUNTER = "num_batches_tracked"


def _bn(prefix: str, channels: int) -> Shapes:
    names = ("weight", "bias", "running_mean", "running_var")
    return {f"{prefix}.{name}": (channels,) for name in names}


def _ffc_block_conv(prefix: str, local: int, glob: int) -> Shapes:
    half = glob // 2
    g2g = f"{prefix}.ffc.convg2g"
    return {
        f"{prefix}.ffc.convl2l.weight": (local, local, 3, 3),
        f"{prefix}.ffc.convl2g.weight": (glob, local, 3, 3),
        f"{prefix}.ffc.convg2l.weight": (local, glob, 3, 3),
        f"{g2g}.conv1.0.weight": (half, glob, 1, 1),
        **_bn(f"{g2g}.conv1.1", half),
        f"{g2g}.fu.conv_layer.weight": (2 * half, 2 * half, 1, 1),
        **_bn(f"{g2g}.fu.bn", 2 * half),
        f"{g2g}.conv2.weight": (glob, half, 1, 1),
        **_bn(f"{prefix}.bn_l", local),
        **_bn(f"{prefix}.bn_g", glob),
    }


def expected_shapes(config: LamaConfig) -> Shapes:
    """Every float tensor of the generator's state dict (without ``num_batches_tracked``)."""
    ngf = config.ngf
    shapes: Shapes = {"model.1.ffc.convl2l.weight": (ngf, config.in_channels, 7, 7)}
    shapes |= _bn("model.1.bn_l", ngf)
    for i in range(config.n_downsampling):
        cin, prefix = ngf * 2**i, f"model.{config.down_index(i)}"
        if i < config.n_downsampling - 1:
            shapes[f"{prefix}.ffc.convl2l.weight"] = (2 * cin, cin, 3, 3)
            shapes |= _bn(f"{prefix}.bn_l", 2 * cin)
            continue
        local, glob = config.local_channels, config.global_channels
        shapes[f"{prefix}.ffc.convl2l.weight"] = (local, cin, 3, 3)
        shapes[f"{prefix}.ffc.convl2g.weight"] = (glob, cin, 3, 3)
        shapes |= _bn(f"{prefix}.bn_l", local) | _bn(f"{prefix}.bn_g", glob)
    for b in range(config.n_blocks):
        for conv in ("conv1", "conv2"):
            prefix = f"model.{config.block_index(b)}.{conv}"
            shapes |= _ffc_block_conv(prefix, config.local_channels, config.global_channels)
    for i in range(config.n_downsampling):
        cin, index = config.width // 2**i, config.up_index(i)
        shapes[f"model.{index}.weight"] = (cin, cin // 2, 3, 3)
        shapes[f"model.{index}.bias"] = (cin // 2,)
        shapes |= _bn(f"model.{index + 1}", cin // 2)
    shapes[f"model.{config.final_index}.weight"] = (config.out_channels, ngf, 7, 7)
    shapes[f"model.{config.final_index}.bias"] = (config.out_channels,)
    return shapes


def check_weights(weights: Mapping[str, np.ndarray], config: LamaConfig) -> None:
    """Raise ``ValueError`` naming the first missing, unexpected or mis-shaped key."""
    shapes = expected_shapes(config)
    for key, shape in shapes.items():
        if key not in weights:
            msg = f"weights lack key {key!r} (shape {shape}) for {_describe(config)}"
            raise ValueError(msg)
        actual = tuple(np.shape(weights[key]))
        if actual != shape:
            msg = f"weight {key!r} has shape {actual}, expected {shape} for {_describe(config)}"
            raise ValueError(msg)
    for key in weights:
        if key in shapes:
            continue
        owner, _, leaf = key.rpartition(".")
        if leaf == BN_COUNTER and f"{owner}.running_var" in shapes:
            continue
        hint = " (strip the 'generator.' prefix)" if key.startswith("generator.") else ""
        msg = f"unexpected weight key {key!r} for {_describe(config)}{hint}"
        raise ValueError(msg)


def _describe(config: LamaConfig) -> str:
    return (
        f"LaMa ngf={config.ngf} n_downsampling={config.n_downsampling} "
        f"n_blocks={config.n_blocks} ratio={config.ratio}"
    )


def random_weights(config: LamaConfig, seed: int = 0) -> dict[str, np.ndarray]:
    """Seeded weights with the official layout whose activations stay in a sensible range.

    Convolutions get He-scaled normal weights; BatchNorm gets randomised affine parameters
    and running statistics, so folding is exercised. The second FFC of each residual block is
    damped so that many blocks do not blow the activations up.
    """
    rng = np.random.default_rng(seed)
    transposed = {f"model.{config.up_index(i)}.weight" for i in range(config.n_downsampling)}
    final = f"model.{config.final_index}.weight"
    weights: dict[str, np.ndarray] = {}
    for key, shape in expected_shapes(config).items():
        weights[key] = _random_tensor(rng, key, shape, transposed=key in transposed)
        if key == final:
            # Keep the sigmoid's input within a few units so outputs are not all 0 or 1.
            weights[key] *= np.float32(0.2)
        if key.endswith(".running_var"):
            weights[key.replace(".running_var", f".{BN_COUNTER}")] = np.array(0, np.int64)
    return weights


def _random_tensor(
    rng: np.random.Generator, key: str, shape: tuple[int, ...], *, transposed: bool
) -> np.ndarray:
    n = shape[0]
    if key.endswith(".running_mean"):
        values = rng.normal(0.0, 0.1, n)
    elif key.endswith(".running_var"):
        values = rng.uniform(0.5, 1.5, n)
    elif key.endswith(".bias"):
        values = rng.normal(0.0, 0.1, n)
    elif len(shape) == 1:  # BatchNorm gamma
        damped = ".conv2.bn_" in key
        values = rng.uniform(0.02, 0.08, n) if damped else rng.uniform(0.6, 1.2, n)
    else:
        fan_in = int(np.prod(shape[1:]))
        if transposed:
            # Stored (in, out, k, k); with stride 2 each output sees about in * k * k / 4 terms.
            fan_in = shape[0] * shape[2] * shape[3] // 4
        values = rng.normal(0.0, np.sqrt(2.0 / fan_in), shape)
    return values.astype(np.float32)
