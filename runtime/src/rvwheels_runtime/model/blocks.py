"""The FFC residual blocks at 1/8 scale, on the whole map (the Fourier unit needs all of it).

The state is one ``(local + global)``-channel map, local channels first, which is also what the
generator's ConcatTupleLayer hands to the decoder. With BatchNorm folded, one FFC is

    out_l = relu(conv3x3([x_g; x_l]) + b_l)
    out_g = relu(conv3x3(x_l) + conv2(y + fu(y)) + b_g),   y = relu(conv1(x_g) + b1)

so per row chunk a single operand ``[taps of x_g; ones; taps of x_l; y + fu(y)]`` feeds two
GEMMs: the local output reads its first three parts, the global output its last three (the ones
row carries the biases).

Maps are kept reflect-padded by one pixel, each channel flattened with two spare floats at the
end. In that "wide" layout, with Wp = w + 2, output pixel (y, x) is column y·Wp + x and the tap
(dy, dx) of every output row is the contiguous slice starting at (y + dy)·Wp + dx, so im2col is
plain slice copies. The two extra columns per row are garbage; written back, they land exactly
on the padding, which is refreshed by reflection after each FFC.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from rvwheels_runtime.model.kernels import F32, flat_view

# Scratch operand per GEMM chunk, and the fewest columns a chunk should have for BLAS to be
# efficient (both measured on the 1/8-scale maps of 512² and 1080p inputs).
CHUNK_BYTES = 8 << 20
MIN_CHUNK_COLUMNS = 512


@dataclass(frozen=True, kw_only=True)
class FoldedFFC:
    """One FFC + BN + ReLU with BatchNorm folded; matrices match the operand layout above."""

    local_matrix: np.ndarray  # (L, 9G + 1 + 9L)
    global_matrix: np.ndarray  # (G, 1 + 9L + G/2)
    spectral_in: np.ndarray  # (G/2, G)
    spectral_in_bias: np.ndarray  # (G/2,)
    fourier: np.ndarray  # (G, G), real parts first then imaginary parts
    fourier_bias: np.ndarray  # (G,)


FFT = Callable[..., np.ndarray]


class PaddedMap:
    """A (C, h, w) map stored reflect-padded by one pixel in the wide layout."""

    def __init__(self, channels: int, height: int, width: int) -> None:
        self.channels, self.height, self.width = channels, height, width
        self.row = width + 2
        self.flat = np.zeros((channels, (height + 2) * self.row + 2), F32)
        self.grid = self.flat[:, : (height + 2) * self.row].reshape(channels, height + 2, self.row)

    @property
    def interior(self) -> np.ndarray:
        return self.grid[:, 1 : self.height + 1, 1 : self.width + 1]

    def wide_rows(self, y0: int, ny: int, channels: slice = slice(None)) -> np.ndarray:
        """Output rows [y0, y0 + ny) as (C, ny·Wp) wide columns, starting at pixel (y0, 0)."""
        start = (y0 + 1) * self.row + 1
        return self.flat[channels, start : start + ny * self.row]

    def refresh_padding(self) -> None:
        grid, h, w = self.grid, self.height, self.width
        grid[:, 1 : h + 1, 0] = grid[:, 1 : h + 1, 2]
        grid[:, 1 : h + 1, w + 1] = grid[:, 1 : h + 1, w - 1]
        grid[:, 0] = grid[:, 2]
        grid[:, h + 1] = grid[:, h - 1]


class ResnetBlocks:
    """Runs the folded blocks on the bottleneck map."""

    def __init__(
        self, blocks: list[tuple[FoldedFFC, FoldedFFC]], *, local: int, rfft2: FFT, irfft2: FFT
    ) -> None:
        self.blocks = blocks
        self.local = local
        self.rfft2, self.irfft2 = rfft2, irfft2

    def run(self, state: PaddedMap, report: Callable[[int, int], None]) -> np.ndarray:
        """state ← block_n(…block_1(state)), each block x + FFC2(FFC1(x)); returns the interior.

        Only the interior of ``state`` needs to be filled on entry.
        """
        inner = PaddedMap(state.channels, state.height, state.width)
        state.refresh_padding()
        for index, (first, second) in enumerate(self.blocks):
            self._ffc(first, state, inner, accumulate=False)
            self._ffc(second, inner, state, accumulate=True)
            report(index + 1, len(self.blocks))
        return state.interior

    def _ffc(self, ffc: FoldedFFC, src: PaddedMap, dst: PaddedMap, *, accumulate: bool) -> None:
        channels, height, row = src.channels, src.height, src.row
        local, glob = self.local, channels - self.local
        spectral = self._spectral(ffc, src)
        depth = 9 * channels + 1 + spectral.shape[0]
        step = max(-(-MIN_CHUNK_COLUMNS // row), CHUNK_BYTES // (4 * depth * row))
        step = min(step, height)
        scratch = np.empty(depth * row * step, F32)
        result = np.empty(channels * row * step, F32) if accumulate else None
        for y0 in range(0, height, step):
            ny = min(step, height - y0)
            operand = flat_view(scratch, depth, ny * row)
            self._gather(src, spectral, y0, ny, operand)
            rows = dst.wide_rows(y0, ny)
            target = rows if result is None else flat_view(result, channels, ny * row)
            np.matmul(ffc.local_matrix, operand[: 9 * channels + 1], out=target[:local])
            np.matmul(ffc.global_matrix, operand[9 * glob :], out=target[local:])
            np.maximum(target, 0, out=target)
            if result is not None:
                rows += target
        dst.refresh_padding()

    def _gather(
        self, src: PaddedMap, spectral: np.ndarray, y0: int, ny: int, operand: np.ndarray
    ) -> None:
        """Fill the chunk operand: taps of x_g, a ones row, taps of x_l, then y + fu(y)."""
        local, glob, row = self.local, src.channels - self.local, src.row
        span = ny * row
        g_taps = operand[: 9 * glob].reshape(9, glob, span)
        l_taps = operand[9 * glob + 1 : 9 * src.channels + 1].reshape(9, local, span)
        for tap in range(9):
            start = (y0 + tap // 3) * row + tap % 3
            g_taps[tap] = src.flat[local:, start : start + span]
            l_taps[tap] = src.flat[:local, start : start + span]
        operand[9 * glob] = 1
        operand[9 * src.channels + 1 :] = spectral[:, y0 * row : y0 * row + span]

    def _spectral(self, ffc: FoldedFFC, src: PaddedMap) -> np.ndarray:
        """y + fu(y), y = relu(conv1(x_g)), in the wide layout (garbage in the pad columns)."""
        height, width, row = src.height, src.width, src.row
        half = ffc.spectral_in.shape[0]
        wide = ffc.spectral_in @ src.wide_rows(0, height, slice(self.local, None))
        wide += ffc.spectral_in_bias[:, None]
        np.maximum(wide, 0, out=wide)
        y = wide.reshape(half, height, row)[:, :, :width]
        spectrum = self.rfft2(y, norm="ortho")
        freq_width = spectrum.shape[2]
        parts = np.empty((2 * half, height * freq_width), F32)
        parts[:half] = spectrum.real.reshape(half, -1)
        parts[half:] = spectrum.imag.reshape(half, -1)
        mixed = ffc.fourier @ parts
        mixed += ffc.fourier_bias[:, None]
        np.maximum(mixed, 0, out=mixed)
        spectrum.real = mixed[:half].reshape(half, height, freq_width)
        spectrum.imag = mixed[half:].reshape(half, height, freq_width)
        y += self.irfft2(spectrum, s=(height, width), norm="ortho")
        return wide
