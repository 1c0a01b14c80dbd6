"""Array kernels: reflect padding of row bands, per-chunk im2col, bias + sigmoid.

Feature maps are float32 ``(C, rows, W)`` C-contiguous arrays. A "band" holds the absolute rows
``[band_lo, band_lo + rows)`` of a map of ``height`` rows; reflection at the map's top and bottom
edges is resolved by index, so a band can be padded exactly as the whole map would be.
"""

from __future__ import annotations

from itertools import chain

import numpy as np

F32 = np.float32


def reflect_index(row: int, size: int) -> int:
    """``ReflectionPad`` index mapping (edge not repeated) for rows just outside ``[0, size)``."""
    if row < 0:
        return -row
    if row >= size:
        return 2 * size - 2 - row
    return row


def pad_band(
    band: np.ndarray, band_lo: int, height: int, start: int, stop: int, pad: int
) -> np.ndarray:
    """Rows ``[start, stop)`` (may lie outside the map) of the reflect-padded map, width + 2*pad."""
    channels, _, width = band.shape
    out = np.empty((channels, stop - start, width + 2 * pad), F32)
    inner = out[:, :, pad : pad + width]
    first, last = max(start, 0), min(stop, height)
    inner[:, first - start : last - start] = band[:, first - band_lo : last - band_lo]
    for row in chain(range(start, first), range(last, stop)):
        inner[:, row - start] = band[:, reflect_index(row, height) - band_lo]
    if pad:
        out[:, :, :pad] = out[:, :, 2 * pad : pad : -1]
        out[:, :, pad + width :] = out[:, :, pad + width - 2 : width - 2 : -1]
    return out


def im2col(
    padded: np.ndarray, kernel: int, stride: int, row0: int, rows: int, width: int, out: np.ndarray
) -> None:
    """Fill ``out`` (kernel² * C, rows * width) with patches, rows ordered (ky, kx, channel).

    Output row ``row0`` of the conv reads ``padded`` rows from ``row0 * stride``.
    """
    channels = padded.shape[0]
    view = out.reshape(kernel, kernel, channels, rows, width)
    for ky in range(kernel):
        top = row0 * stride + ky
        row_slice = slice(top, top + (rows - 1) * stride + 1, stride)
        for kx in range(kernel):
            col_slice = slice(kx, kx + (width - 1) * stride + 1, stride)
            view[ky, kx] = padded[:, row_slice, col_slice]


def taps_matrix(weight: np.ndarray) -> np.ndarray:
    """(Cout, Cin, k, k) conv weight as the (Cout, k*k*Cin) matrix matching ``im2col``'s rows."""
    cout = weight.shape[0]
    return np.ascontiguousarray(weight.transpose(0, 2, 3, 1).reshape(cout, -1), dtype=F32)


def bias_sigmoid(x: np.ndarray, bias: np.ndarray) -> None:
    """In place: x = 1 / (1 + exp(-(x + bias)))."""
    np.add(x, bias[:, None], out=x)
    np.negative(x, out=x)
    # exp overflows to inf for very negative logits; 1 / (1 + inf) is the correct 0.
    with np.errstate(over="ignore"):
        np.exp(x, out=x)
    np.add(x, 1, out=x)
    np.reciprocal(x, out=x)


def rows_per_chunk(columns_per_row: int, floats_per_column: int, budget_bytes: int) -> int:
    """How many output rows fit one GEMM chunk whose operand is ``budget_bytes`` at most."""
    per_row = columns_per_row * floats_per_column * 4
    return max(1, budget_bytes // per_row)


def flat_view(buffer: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """A contiguous (rows, cols) view on the front of a flat scratch buffer."""
    return buffer[: rows * cols].reshape(rows, cols)
