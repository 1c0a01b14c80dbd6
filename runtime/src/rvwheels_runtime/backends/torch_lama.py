"""LaMa's FFCResNetGenerator as a few PyTorch functions over an official state dict.

Used by the torch backend when it is given weights instead of a TorchScript file. Written
against the key layout (``model.N.…``) rather than as ``nn.Module`` classes, so it needs no
LaMa source. Imported only when the torch backend is chosen; torch is never a dependency.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch
import torch.nn.functional as F

from rvwheels_runtime.backends.torch_bridge import to_torch
from rvwheels_runtime.model.config import LamaConfig, config_from_weights

BN_EPS = 1e-5


class FunctionalLama:
    """``FunctionalLama(weights)(x)``: x (N, 4, H, W) float32 → (N, 3, H, W) in [0, 1]."""

    def __init__(self, weights: Mapping[str, np.ndarray]) -> None:
        self.config: LamaConfig = config_from_weights(weights)
        self._t = {key: to_torch(torch, np.asarray(value)) for key, value in weights.items()}

    @torch.inference_mode()
    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        c = self.config
        x_l, _ = self._ffc_bn_act("model.1", x, None)
        x_g = None
        for i in range(c.n_downsampling):
            x_l, x_g = self._ffc_bn_act(f"model.{c.down_index(i)}", x_l, None, stride=2)
        for i in range(c.n_blocks):
            prefix = f"model.{c.block_index(i)}"
            y_l, y_g = self._ffc_bn_act(f"{prefix}.conv1", x_l, x_g)
            y_l, y_g = self._ffc_bn_act(f"{prefix}.conv2", y_l, y_g)
            x_l, x_g = x_l + y_l, x_g + y_g
        y = torch.cat([x_l, x_g], dim=1)
        for i in range(c.n_downsampling):
            index = c.up_index(i)
            weight, bias = self._t[f"model.{index}.weight"], self._t[f"model.{index}.bias"]
            y = F.conv_transpose2d(y, weight, bias, stride=2, padding=1, output_padding=1)
            y = torch.relu(self._bn(f"model.{index + 1}", y))
        y = F.pad(y, (3, 3, 3, 3), mode="reflect")
        final = f"model.{c.final_index}"
        return torch.sigmoid(F.conv2d(y, self._t[f"{final}.weight"], self._t[f"{final}.bias"]))

    def _ffc_bn_act(
        self, prefix: str, x_l: torch.Tensor, x_g: torch.Tensor | None, stride: int = 1
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        ffc = f"{prefix}.ffc"
        y_l = self._conv(f"{ffc}.convl2l.weight", x_l, stride)
        if x_g is not None and f"{ffc}.convg2l.weight" in self._t:
            y_l = y_l + self._conv(f"{ffc}.convg2l.weight", x_g, stride)
        y_g = None
        if f"{ffc}.convl2g.weight" in self._t:
            y_g = self._conv(f"{ffc}.convl2g.weight", x_l, stride)
            if x_g is not None and f"{ffc}.convg2g.conv1.0.weight" in self._t:
                y_g = y_g + self._spectral(f"{ffc}.convg2g", x_g)
        y_l = torch.relu(self._bn(f"{prefix}.bn_l", y_l))
        if y_g is not None:
            y_g = torch.relu(self._bn(f"{prefix}.bn_g", y_g))
        return y_l, y_g

    def _conv(self, key: str, x: torch.Tensor, stride: int = 1) -> torch.Tensor:
        weight = self._t[key]
        pad = weight.shape[-1] // 2
        if pad:
            x = F.pad(x, (pad, pad, pad, pad), mode="reflect")
        return F.conv2d(x, weight, stride=stride)

    def _bn(self, prefix: str, x: torch.Tensor) -> torch.Tensor:
        t = self._t
        return F.batch_norm(
            x,
            t[f"{prefix}.running_mean"],
            t[f"{prefix}.running_var"],
            t[f"{prefix}.weight"],
            t[f"{prefix}.bias"],
            training=False,
            eps=BN_EPS,
        )

    def _spectral(self, prefix: str, x: torch.Tensor) -> torch.Tensor:
        y = torch.relu(self._bn(f"{prefix}.conv1.1", self._conv(f"{prefix}.conv1.0.weight", x)))
        return self._conv(f"{prefix}.conv2.weight", y + self._fourier(f"{prefix}.fu", y))

    def _fourier(self, prefix: str, x: torch.Tensor) -> torch.Tensor:
        n, channels, height, width = x.shape
        spectrum = torch.fft.rfft2(x, norm="ortho")
        # Interleave per channel: c0.re, c0.im, c1.re, ... as the official view/permute does.
        parts = torch.stack((spectrum.real, spectrum.imag), dim=2).reshape(
            n, 2 * channels, height, -1
        )
        parts = self._conv(f"{prefix}.conv_layer.weight", parts)
        parts = torch.relu(self._bn(f"{prefix}.bn", parts)).reshape(n, channels, 2, height, -1)
        spectrum = torch.complex(parts[:, :, 0], parts[:, :, 1])
        return torch.fft.irfft2(spectrum, s=(height, width), norm="ortho")
