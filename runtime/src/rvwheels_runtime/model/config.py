"""Architecture of a LaMa ``FFCResNetGenerator`` and where each layer sits in ``model.N``."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, kw_only=True)
class LamaConfig:
    """Hyper-parameters of the generator; the defaults are big-lama's."""

    in_channels: int = 4
    out_channels: int = 3
    ngf: int = 64
    n_downsampling: int = 3
    n_blocks: int = 18
    ratio: float = 0.75

    def __post_init__(self) -> None:
        for name in ("in_channels", "out_channels", "ngf", "n_downsampling"):
            if getattr(self, name) < 1:
                msg = f"LamaConfig.{name} must be >= 1, got {getattr(self, name)}"
                raise ValueError(msg)
        if self.n_blocks < 0:
            msg = f"LamaConfig.n_blocks must be >= 0, got {self.n_blocks}"
            raise ValueError(msg)
        if not 0 < self.global_channels < self.width:
            msg = f"LamaConfig.ratio={self.ratio} leaves no local or no global channels"
            raise ValueError(msg)

    @property
    def width(self) -> int:
        """Channels of the bottleneck the residual blocks work on."""
        return self.ngf * 2**self.n_downsampling

    @property
    def global_channels(self) -> int:
        return int(self.width * self.ratio)

    @property
    def local_channels(self) -> int:
        return self.width - self.global_channels

    @property
    def scale(self) -> int:
        """Input height and width must be multiples of this."""
        return 2**self.n_downsampling

    # Indices into the official ``nn.Sequential``: pad, head, downsamplings, blocks, concat,
    # (ConvTranspose, BN, ReLU) per upsampling, pad, final conv, sigmoid.
    def down_index(self, i: int) -> int:
        return 2 + i

    def block_index(self, i: int) -> int:
        return 2 + self.n_downsampling + i

    def up_index(self, i: int) -> int:
        return 3 + self.n_downsampling + self.n_blocks + 3 * i

    @property
    def final_index(self) -> int:
        return 4 + 4 * self.n_downsampling + self.n_blocks


BIG_LAMA = LamaConfig()
# big-lama has 3; 2**16 times ngf channels would not fit in any memory.
MAX_DOWNSAMPLING = 16

_HEAD_KEY = "model.1.ffc.convl2l.weight"
_DOWN_KEY = re.compile(r"model\.(\d+)\.ffc\.convl2l\.weight")
_BLOCK_KEY = re.compile(r"model\.(\d+)\.conv1\.ffc\.convl2l\.weight")


def config_from_weights(weights: Mapping[str, np.ndarray]) -> LamaConfig:
    """Infer the architecture from a state dict's keys and shapes (checked fully later)."""
    ngf, in_channels = _require_conv(weights, _HEAD_KEY)[:2]
    n_downsampling = sum(1 for key in weights if _DOWN_KEY.fullmatch(key)) - 1
    n_blocks = sum(1 for key in weights if _BLOCK_KEY.fullmatch(key))
    if n_downsampling < 1:
        msg = "weights have no downsampling layer: expected key 'model.2.ffc.convl2l.weight'"
        raise ValueError(msg)
    if n_downsampling > MAX_DOWNSAMPLING:
        msg = f"weights have {n_downsampling} downsampling layers, more than {MAX_DOWNSAMPLING}"
        raise ValueError(msg)
    width = ngf * 2**n_downsampling
    global_key = f"model.{1 + n_downsampling}.ffc.convl2g.weight"
    global_channels = _require_conv(weights, global_key)[0]
    final_key = f"model.{4 + 4 * n_downsampling + n_blocks}.weight"
    out_channels = _require_conv(weights, final_key)[0]
    return LamaConfig(
        in_channels=in_channels,
        out_channels=out_channels,
        ngf=ngf,
        n_downsampling=n_downsampling,
        n_blocks=n_blocks,
        ratio=_ratio_for(global_channels, width),
    )


def _ratio_for(global_channels: int, width: int) -> float:
    ratio = global_channels / width
    # int(width * ratio) must give back global_channels despite float rounding.
    while int(width * ratio) < global_channels:
        ratio = math.nextafter(ratio, 1.0)
    return ratio


def _require_conv(weights: Mapping[str, np.ndarray], key: str) -> tuple[int, ...]:
    """The shape of a convolution weight: four sizes, none zero."""
    shape = tuple(int(n) for n in np.shape(_require(weights, key)))
    if len(shape) != 4 or not all(shape):
        msg = f"weight {key!r} has shape {shape}, expected a 4-D convolution weight"
        raise ValueError(msg)
    return shape


def _require(weights: Mapping[str, np.ndarray], key: str) -> np.ndarray:
    if key not in weights:
        if f"generator.{key}" in weights:
            msg = f"weights have 'generator.{key}': strip the 'generator.' prefix from every key"
        else:
            msg = f"weights lack key {key!r}: is this a LaMa FFCResNetGenerator state dict?"
        raise ValueError(msg)
    return np.asarray(weights[key])
