"""Turn a checked state dict into GEMM-ready layers, folding eval-mode BatchNorm into convs.

BatchNorm in eval mode is y = (x - mean) / sqrt(var + eps) * gamma + beta = x * s + t, so a
preceding linear map W (and bias c) becomes W * s (and c * s + t). Folding is done in float64.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from rvwheels_runtime.model.blocks import FoldedFFC
from rvwheels_runtime.model.config import LamaConfig
from rvwheels_runtime.model.kernels import F32, taps_matrix
from rvwheels_runtime.model.layers import ConvLayer, ConvTransposeLayer, OutputConvLayer

BN_EPS = 1e-5
Weights = Mapping[str, np.ndarray]


def _get(weights: Weights, key: str) -> np.ndarray:
    return np.asarray(weights[key], dtype=np.float64)


def _bn(weights: Weights, prefix: str) -> tuple[np.ndarray, np.ndarray]:
    """(scale, shift) of the BatchNorm at ``prefix``."""
    scale = _get(weights, f"{prefix}.weight") / np.sqrt(
        _get(weights, f"{prefix}.running_var") + BN_EPS
    )
    shift = _get(weights, f"{prefix}.bias") - _get(weights, f"{prefix}.running_mean") * scale
    return scale, shift


def _scaled(weight: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Multiply output channels (axis 0) of a conv weight by ``scale``."""
    return weight * scale.reshape((-1,) + (1,) * (weight.ndim - 1))


def encoder_layers(weights: Weights, config: LamaConfig) -> list[ConvLayer]:
    """Head (reflect-pad 3, 7×7) and stride-2 downsamplings; the last emits [local; global]."""
    scale, shift = _bn(weights, "model.1.bn_l")
    head = _scaled(_get(weights, "model.1.ffc.convl2l.weight"), scale)
    layers = [ConvLayer(head, shift, stride=1, pad=3)]
    for i in range(config.n_downsampling):
        prefix = f"model.{config.down_index(i)}"
        scale, shift = _bn(weights, f"{prefix}.bn_l")
        weight = _scaled(_get(weights, f"{prefix}.ffc.convl2l.weight"), scale)
        if i == config.n_downsampling - 1:
            g_scale, g_shift = _bn(weights, f"{prefix}.bn_g")
            g_weight = _scaled(_get(weights, f"{prefix}.ffc.convl2g.weight"), g_scale)
            weight = np.concatenate([weight, g_weight])
            shift = np.concatenate([shift, g_shift])
        layers.append(ConvLayer(weight, shift, stride=2, pad=1))
    return layers


def _fold_ffc(weights: Weights, prefix: str) -> FoldedFFC:
    ffc, g2g = f"{prefix}.ffc", f"{prefix}.ffc.convg2g"
    l_scale, l_shift = _bn(weights, f"{prefix}.bn_l")
    g_scale, g_shift = _bn(weights, f"{prefix}.bn_g")
    g2l = _scaled(_get(weights, f"{ffc}.convg2l.weight"), l_scale)
    l2l = _scaled(_get(weights, f"{ffc}.convl2l.weight"), l_scale)
    l2g = _scaled(_get(weights, f"{ffc}.convl2g.weight"), g_scale)
    conv2 = _scaled(_get(weights, f"{g2g}.conv2.weight")[:, :, 0, 0], g_scale)
    in_scale, in_shift = _bn(weights, f"{g2g}.conv1.1")
    spectral_in = _scaled(_get(weights, f"{g2g}.conv1.0.weight")[:, :, 0, 0], in_scale)
    fu_scale, fu_shift = _bn(weights, f"{g2g}.fu.bn")
    fourier = _scaled(_get(weights, f"{g2g}.fu.conv_layer.weight")[:, :, 0, 0], fu_scale)
    # The official unit interleaves (re, im) per channel; regroup as all re, then all im.
    order = np.concatenate([np.arange(0, len(fourier), 2), np.arange(1, len(fourier), 2)])
    # Biases multiply the operand's ones row, which sits between the x_g and x_l taps.
    local_matrix = np.hstack([taps_matrix(g2l), l_shift[:, None], taps_matrix(l2l)])
    global_matrix = np.hstack([g_shift[:, None], taps_matrix(l2g), conv2])
    return FoldedFFC(
        local_matrix=np.ascontiguousarray(local_matrix, dtype=F32),
        global_matrix=np.ascontiguousarray(global_matrix, dtype=F32),
        spectral_in=spectral_in.astype(F32),
        spectral_in_bias=in_shift.astype(F32),
        fourier=np.ascontiguousarray(fourier[order][:, order], dtype=F32),
        fourier_bias=fu_shift[order].astype(F32),
    )


def block_ffcs(weights: Weights, config: LamaConfig) -> list[tuple[FoldedFFC, FoldedFFC]]:
    blocks = []
    for b in range(config.n_blocks):
        prefix = f"model.{config.block_index(b)}"
        blocks.append(
            (_fold_ffc(weights, f"{prefix}.conv1"), _fold_ffc(weights, f"{prefix}.conv2"))
        )
    return blocks


def decoder_layers(
    weights: Weights, config: LamaConfig
) -> list[ConvTransposeLayer | OutputConvLayer]:
    """Transposed-conv upsamplings (BN folded) and the final 7×7 conv + sigmoid."""
    layers: list[ConvTransposeLayer | OutputConvLayer] = []
    for i in range(config.n_downsampling):
        index = config.up_index(i)
        scale, shift = _bn(weights, f"model.{index + 1}")
        # ConvTranspose2d weights are (in, out, k, k): output channels are axis 1.
        weight = _get(weights, f"model.{index}.weight") * scale[None, :, None, None]
        bias = _get(weights, f"model.{index}.bias") * scale + shift
        layers.append(ConvTransposeLayer(weight, bias))
    final = f"model.{config.final_index}"
    layers.append(OutputConvLayer(_get(weights, f"{final}.weight"), _get(weights, f"{final}.bias")))
    return layers
