"""An independent PyTorch FFCResNetGenerator used as the reference for the NumPy runtime.

Written from the published architecture (LaMa's ``FFCResNetGenerator`` with the big-lama
settings: ratio 0 in the head and downsamplings, 0.75 in the blocks, LFU off, sigmoid out), as
plain ``torch.nn`` modules with unfolded BatchNorm. Its ``state_dict()`` keys follow the official
checkpoint minus the ``generator.`` prefix, so the same weight dict loads into both.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch
from torch import nn


class FourierUnit(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv_layer = nn.Conv2d(2 * channels, 2 * channels, 1, bias=False)
        self.bn = nn.BatchNorm2d(2 * channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        spectrum = torch.fft.rfft2(x, norm="ortho")
        # Channel 2k holds the real part of input channel k, 2k+1 its imaginary part.
        parts = torch.stack((spectrum.real, spectrum.imag), dim=2).reshape(n, 2 * c, h, -1)
        parts = torch.relu(self.bn(self.conv_layer(parts))).reshape(n, c, 2, h, -1)
        spectrum = torch.complex(parts[:, :, 0], parts[:, :, 1])
        return torch.fft.irfft2(spectrum, s=(h, w), norm="ortho")


class SpectralTransform(nn.Module):
    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        half = out_channels // 2
        self.conv1 = nn.Sequential(
            nn.Conv2d(in_channels, half, 1, bias=False), nn.BatchNorm2d(half), nn.ReLU()
        )
        self.fu = FourierUnit(half)
        self.conv2 = nn.Conv2d(half, out_channels, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv1(x)
        return self.conv2(y + self.fu(y))


def _conv(cin: int, cout: int, kernel: int, stride: int, padding: int) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, kernel, stride, padding, bias=False, padding_mode="reflect")


class FFC(nn.Module):
    def __init__(
        self,
        cin: int,
        cout: int,
        kernel: int,
        ratio_in: float,
        ratio_out: float,
        stride: int = 1,
        padding: int = 0,
    ) -> None:
        super().__init__()
        in_g, out_g = int(cin * ratio_in), int(cout * ratio_out)
        in_l, out_l = cin - in_g, cout - out_g
        args = (kernel, stride, padding)
        self.convl2l = _conv(in_l, out_l, *args) if in_l and out_l else None
        self.convl2g = _conv(in_l, out_g, *args) if in_l and out_g else None
        self.convg2l = _conv(in_g, out_l, *args) if in_g and out_l else None
        self.convg2g = SpectralTransform(in_g, out_g) if in_g and out_g else None
        self.out_l, self.out_g = out_l, out_g

    def forward(self, x_l, x_g):
        y_l = y_g = None
        if self.out_l:
            y_l = self.convl2l(x_l)
            if self.convg2l is not None:
                y_l = y_l + self.convg2l(x_g)
        if self.out_g:
            y_g = self.convl2g(x_l)
            if self.convg2g is not None:
                y_g = y_g + self.convg2g(x_g)
        return y_l, y_g


class FFCBnAct(nn.Module):
    def __init__(
        self,
        cin: int,
        cout: int,
        kernel: int,
        ratio_in: float,
        ratio_out: float,
        stride: int = 1,
        padding: int = 0,
    ) -> None:
        super().__init__()
        self.ffc = FFC(cin, cout, kernel, ratio_in, ratio_out, stride, padding)
        self.bn_l = nn.BatchNorm2d(self.ffc.out_l) if self.ffc.out_l else None
        self.bn_g = nn.BatchNorm2d(self.ffc.out_g) if self.ffc.out_g else None

    def forward(self, x):
        x_l, x_g = x if isinstance(x, tuple) else (x, None)
        y_l, y_g = self.ffc(x_l, x_g)
        if y_l is not None:
            y_l = torch.relu(self.bn_l(y_l))
        if y_g is not None:
            y_g = torch.relu(self.bn_g(y_g))
        return y_l, y_g


class FFCResnetBlock(nn.Module):
    def __init__(self, dim: int, ratio: float) -> None:
        super().__init__()
        self.conv1 = FFCBnAct(dim, dim, 3, ratio, ratio, padding=1)
        self.conv2 = FFCBnAct(dim, dim, 3, ratio, ratio, padding=1)

    def forward(self, x):
        y_l, y_g = self.conv2(self.conv1(x))
        return x[0] + y_l, x[1] + y_g


class ConcatTuple(nn.Module):
    def forward(self, x):
        return torch.cat(x, dim=1)


class TorchLama(nn.Module):
    """FFCResNetGenerator(input_nc, output_nc, ngf, n_downsampling, n_blocks) as in big-lama."""

    def __init__(
        self,
        in_channels: int = 4,
        out_channels: int = 3,
        ngf: int = 64,
        n_downsampling: int = 3,
        n_blocks: int = 18,
        ratio: float = 0.75,
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.ReflectionPad2d(3), FFCBnAct(in_channels, ngf, 7, 0, 0)]
        for i in range(n_downsampling):
            ratio_out = ratio if i == n_downsampling - 1 else 0
            cin = ngf * 2**i
            layers.append(FFCBnAct(cin, 2 * cin, 3, 0, ratio_out, stride=2, padding=1))
        width = ngf * 2**n_downsampling
        layers += [FFCResnetBlock(width, ratio) for _ in range(n_blocks)]
        layers.append(ConcatTuple())
        for i in range(n_downsampling):
            cin = width // 2**i
            layers += [
                nn.ConvTranspose2d(cin, cin // 2, 3, stride=2, padding=1, output_padding=1),
                nn.BatchNorm2d(cin // 2),
                nn.ReLU(),
            ]
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, out_channels, 7), nn.Sigmoid()]
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


def torch_lama_from_weights(weights: Mapping[str, np.ndarray], **arch: int | float) -> TorchLama:
    """Build the reference in eval mode and load ``weights`` strictly (every key, every shape)."""
    model = TorchLama(**arch).eval()
    tensors = {key: torch.from_numpy(np.array(value)) for key, value in weights.items()}
    model.load_state_dict(tensors, strict=True)
    return model


def run_torch(model: TorchLama, x: np.ndarray) -> np.ndarray:
    """Run the (C, H, W) float32 input through the reference; returns (3, H, W) float32."""
    with torch.inference_mode():
        return model(torch.from_numpy(x)[None]).numpy()[0]
