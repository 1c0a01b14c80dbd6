"""Row streaming: chain band layers so a whole map is produced strip by strip.

A ``Stage`` keeps only the rows of its output that the next request may still need (the halo of
the layer below it), so memory stays proportional to the strip height times the image width.
Requests must move down the image: ``lo`` and ``hi`` never decrease.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np

from rvwheels_runtime.model.kernels import F32


class BandLayer(Protocol):
    align: int
    cout: int

    def out_size(self, height: int, width: int) -> tuple[int, int]: ...

    def in_range(self, a: int, b: int, height: int) -> tuple[int, int]: ...

    def run(
        self, src: np.ndarray, src_lo: int, height: int, a: int, b: int, out: np.ndarray
    ) -> None: ...


class ArraySource:
    """A map held whole in memory."""

    def __init__(self, array: np.ndarray) -> None:
        self.array = array
        self.height, self.width = array.shape[1:]

    def get(self, lo: int, hi: int) -> np.ndarray:
        return self.array[:, lo:hi]


class Stage:
    """A layer's output, computed on demand from its upstream and cached for the halo."""

    def __init__(self, layer: BandLayer, upstream: ArraySource | Stage) -> None:
        self.layer, self.upstream = layer, upstream
        self.height, self.width = layer.out_size(upstream.height, upstream.width)
        self.buffer = np.empty((layer.cout, 0, self.width), F32)
        self.lo = self.hi = 0

    def get(self, lo: int, hi: int) -> np.ndarray:
        if lo < self.lo:
            msg = f"row stream went backwards: rows {lo}.. after {self.lo}.."
            raise RuntimeError(msg)
        if hi > self.hi:
            self._extend(lo, hi)
        return self.buffer[:, lo - self.lo : hi - self.lo]

    def _extend(self, lo: int, hi: int) -> None:
        align = self.layer.align
        start = self.hi if lo <= self.hi else lo - lo % align
        stop = min(self.height, -(-hi // align) * align)
        keep_from = min(lo, start)
        buffer = np.empty((self.layer.cout, stop - keep_from, self.width), F32)
        buffer[:, : start - keep_from] = self.buffer[:, keep_from - self.lo : start - self.lo]
        src_lo, src_hi = self.layer.in_range(start, stop, self.upstream.height)
        src = self.upstream.get(src_lo, src_hi)
        self.layer.run(
            src, src_lo, self.upstream.height, start, stop, buffer[:, start - keep_from :]
        )
        self.buffer, self.lo, self.hi = buffer, keep_from, stop


def chain(layers: list[BandLayer], source: np.ndarray) -> Stage:
    """The last stage of ``layers`` applied in order to ``source``."""
    stage: ArraySource | Stage = ArraySource(source)
    for layer in layers:
        stage = Stage(layer, stage)
    if not isinstance(stage, Stage):
        msg = "chain() needs at least one layer"
        raise ValueError(msg)
    return stage


def stream_into(
    stage: Stage, out: np.ndarray, strip: int, report: Callable[[int, int], None]
) -> None:
    """Fill ``out`` (the stage's whole output) strip by strip, reporting (done, total)."""
    total = -(-stage.height // strip)
    for index, a in enumerate(range(0, stage.height, strip)):
        b = min(stage.height, a + strip)
        out[:, a:b] = stage.get(a, b)
        report(index + 1, total)
