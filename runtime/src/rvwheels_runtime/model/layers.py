"""The head and tail layers, computed on row bands as GEMMs with bounded scratch memory.

Each layer says which input rows it needs for output rows ``[a, b)`` (``in_range``) and fills an
output band from an input band (``run``). ``stream.Stage`` chains them so that a whole image is
produced strip by strip; results equal an untiled run up to float rounding.
"""

from __future__ import annotations

import numpy as np

from rvwheels_runtime.model.kernels import (
    F32,
    bias_sigmoid,
    flat_view,
    im2col,
    pad_band,
    rows_per_chunk,
    taps_matrix,
)

# Scratch operand size per GEMM chunk: large enough for efficient BLAS calls, small enough to
# stay cache-friendly and bound memory at any resolution.
CHUNK_BYTES = 12 << 20


class ConvLayer:
    """k×k conv (reflect padding, stride 1 or 2) + bias + ReLU, via im2col per row chunk.

    The operand ends with a row of ones so that the GEMM adds the bias.
    """

    align = 1

    def __init__(self, weight: np.ndarray, bias: np.ndarray, *, stride: int, pad: int) -> None:
        self.cout, self.cin, self.kernel, _ = weight.shape
        self.matrix = np.hstack([taps_matrix(weight), bias.astype(F32)[:, None]])
        self.stride, self.pad = stride, pad

    def out_size(self, height: int, width: int) -> tuple[int, int]:
        span = self.kernel - 2 * self.pad
        return (height - span) // self.stride + 1, (width - span) // self.stride + 1

    def in_range(self, a: int, b: int, height: int) -> tuple[int, int]:
        lo = a * self.stride - self.pad
        hi = (b - 1) * self.stride + self.kernel - self.pad
        # Reflected rows lie within [0, hi) at the top and [lo, height) at the bottom.
        return max(lo, 0), min(hi, height)

    def run(
        self, src: np.ndarray, src_lo: int, height: int, a: int, b: int, out: np.ndarray
    ) -> None:
        width = self.out_size(height, src.shape[2])[1]
        depth = self.matrix.shape[1]
        step = rows_per_chunk(width, depth, CHUNK_BYTES)
        scratch = np.empty(depth * width * min(step, b - a), F32)
        for y0 in range(a, b, step):
            ny = min(step, b - y0)
            top = y0 * self.stride - self.pad
            bottom = (y0 + ny - 1) * self.stride + self.kernel - self.pad
            padded = pad_band(src, src_lo, height, top, bottom, self.pad)
            cols = flat_view(scratch, depth, ny * width)
            im2col(padded, self.kernel, self.stride, 0, ny, width, cols[:-1])
            cols[-1] = 1
            target = out[:, y0 - a : y0 - a + ny].reshape(self.cout, ny * width, copy=False)
            np.matmul(self.matrix, cols, out=target)
            np.maximum(target, 0, out=target)


class OutputConvLayer:
    """Final k×k conv to few channels + bias + sigmoid.

    With 3 output channels im2col would copy k²·Cin floats per pixel for a thin GEMM, so this
    computes every tap's contribution in one GEMM over the padded band instead and adds the
    k² shifted slices: output pixel (y, x) of the band sits at flat column y·Wp + x.
    """

    align = 1

    def __init__(self, weight: np.ndarray, bias: np.ndarray) -> None:
        self.cout, self.cin, self.kernel, _ = weight.shape
        self.pad = self.kernel // 2
        k2 = self.kernel * self.kernel
        taps = weight.transpose(2, 3, 0, 1).reshape(k2 * self.cout, self.cin)
        self.matrix = np.ascontiguousarray(taps, dtype=F32)
        self.bias = bias.astype(F32)

    def out_size(self, height: int, width: int) -> tuple[int, int]:
        return height, width

    def in_range(self, a: int, b: int, height: int) -> tuple[int, int]:
        return max(a - self.pad, 0), min(b + self.pad, height)

    def run(
        self, src: np.ndarray, src_lo: int, height: int, a: int, b: int, out: np.ndarray
    ) -> None:
        width = src.shape[2]
        padded_width = width + 2 * self.pad
        step = rows_per_chunk(padded_width, self.matrix.shape[0], CHUNK_BYTES)
        for y0 in range(a, b, step):
            ny = min(step, b - y0)
            padded = pad_band(src, src_lo, height, y0 - self.pad, y0 + ny + self.pad, self.pad)
            flat = padded.reshape(self.cin, -1)
            per_tap = (self.matrix @ flat).reshape(-1, self.cout, flat.shape[1])
            total = self._sum_shifted(per_tap, ny, padded_width)
            target = out[:, y0 - a : y0 - a + ny]
            target[...] = total.reshape(self.cout, ny, padded_width)[:, :, :width]
            bias_sigmoid(target.reshape(self.cout, ny * width, copy=False), self.bias)

    def _sum_shifted(self, per_tap: np.ndarray, rows: int, padded_width: int) -> np.ndarray:
        length = per_tap.shape[2]
        span = rows * padded_width
        total = np.zeros((self.cout, span), F32)
        for ky in range(self.kernel):
            for kx in range(self.kernel):
                offset = ky * padded_width + kx
                # The last row's slices may run off the end only in the discarded pad columns.
                n = min(span, length - offset)
                total[:, :n] += per_tap[ky * self.kernel + kx, :, offset : offset + n]
        return total


class ConvTransposeLayer:
    """ConvTranspose2d(k3, s2, p1, output_padding 1) + bias + ReLU as four sub-pixel GEMMs.

    Output (2m+py, 2n+px) reads input (m, n) and, for odd phases, (m+1, ·) / (·, n+1), with zeros
    past the edge. The operand stacks the input shifted by (1,0), then a ones row (for the bias),
    then the input shifted by (0,0), (0,1), (1,1): an order in which every phase's taps and the
    ones row are one contiguous row range.
    """

    align = 2

    def __init__(self, weight: np.ndarray, bias: np.ndarray) -> None:
        self.cin, self.cout = weight.shape[:2]
        c = self.cin
        ones = bias[:, None]

        def tap(ky: int, kx: int) -> np.ndarray:
            return weight[:, :, ky, kx].T

        # (py, px) -> (operand rows, weight matrix); operand blocks: s10, ones, s00, s01, s11.
        phases = [
            ((0, 0), slice(c, 2 * c + 1), [ones, tap(1, 1)]),
            ((0, 1), slice(c, 3 * c + 1), [ones, tap(1, 2), tap(1, 0)]),
            ((1, 0), slice(0, 2 * c + 1), [tap(0, 1), ones, tap(2, 1)]),
            ((1, 1), slice(0, 4 * c + 1), [tap(0, 2), ones, tap(2, 2), tap(2, 0), tap(0, 0)]),
        ]
        self.phases = [(p, s, np.hstack(m).astype(F32)) for p, s, m in phases]

    def out_size(self, height: int, width: int) -> tuple[int, int]:
        return 2 * height, 2 * width

    def in_range(self, a: int, b: int, height: int) -> tuple[int, int]:
        return a // 2, min(height, (b + 1) // 2 + 1)

    def run(
        self, src: np.ndarray, src_lo: int, height: int, a: int, b: int, out: np.ndarray
    ) -> None:
        width = src.shape[2]
        m_lo, m_hi = a // 2, b // 2
        depth = 4 * self.cin + 1
        step = rows_per_chunk(width, depth, CHUNK_BYTES)
        scratch = np.empty(depth * width * min(step, m_hi - m_lo), F32)
        result = np.empty(self.cout * width * min(step, m_hi - m_lo), F32)
        for m0 in range(m_lo, m_hi, step):
            ny = min(step, m_hi - m0)
            operand = flat_view(scratch, depth, ny * width)
            self._shifted_inputs(src, src_lo, height, m0, ny, operand)
            band = out[:, 2 * (m0 - m_lo) : 2 * (m0 - m_lo + ny)]
            phases = band.reshape(self.cout, ny, 2, width, 2, copy=False)
            for (py, px), rows, matrix in self.phases:
                res = flat_view(result, self.cout, ny * width)
                np.matmul(matrix, operand[rows], out=res)
                # ReLU fused with the scatter into the interleaved output.
                np.maximum(res.reshape(self.cout, ny, width), 0, out=phases[:, :, py, :, px])

    def _shifted_inputs(
        self, src: np.ndarray, src_lo: int, height: int, m0: int, ny: int, operand: np.ndarray
    ) -> None:
        width, c = src.shape[2], self.cin
        below = operand[:c].reshape(c, ny, width)
        operand[c] = 1
        here, right, diagonal = operand[c + 1 :].reshape(3, c, ny, width)
        here[...] = src[:, m0 - src_lo : m0 - src_lo + ny]
        have = min(ny, height - m0 - 1)
        below[:, :have] = src[:, m0 + 1 - src_lo : m0 + 1 - src_lo + have]
        below[:, have:] = 0
        for shifted, base in ((right, here), (diagonal, below)):
            shifted[:, :, : width - 1] = base[:, :, 1:]
            shifted[:, :, width - 1] = 0
