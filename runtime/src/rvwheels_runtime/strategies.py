"""High-resolution strategies, as IOPaint has them: how a large image reaches the backend.

``Original`` inpaints the whole image. ``Resize`` shrinks an image whose long side exceeds
``limit``, inpaints the small copy, enlarges the result and keeps only the masked pixels.
``Crop`` inpaints, for each connected region of the mask, the region's bounding box plus
``margin`` on every side, once the image's long side exceeds ``trigger``. All numpy: the
resampling and the connected-component labelling are here too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

STRATEGIES = ("original", "resize", "crop")
# IOPaint's defaults (hd_strategy_resize_limit, _crop_margin, _crop_trigger_size).
RESIZE_LIMIT = 1280
CROP_MARGIN = 128
CROP_TRIGGER = 800

OnRegion = Callable[[int, int], None]  # (region number from 1, number of regions)


class Inpainter(Protocol):
    def inpaint(self, image: np.ndarray, mask: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True, kw_only=True)
class Box:
    """Rows ``top:bottom`` and columns ``left:right`` (ends exclusive)."""

    top: int
    bottom: int
    left: int
    right: int


@dataclass(frozen=True, kw_only=True)
class Original:
    name = "original"

    def run(
        self,
        backend: Inpainter,
        image: np.ndarray,
        mask: np.ndarray,
        on_region: OnRegion | None = None,
    ) -> np.ndarray:
        return backend.inpaint(image, mask)


@dataclass(frozen=True, kw_only=True)
class Resize:
    limit: int = RESIZE_LIMIT
    name = "resize"

    def __post_init__(self) -> None:
        _require_positive("resize limit", self.limit)

    def run(
        self,
        backend: Inpainter,
        image: np.ndarray,
        mask: np.ndarray,
        on_region: OnRegion | None = None,
    ) -> np.ndarray:
        height, width = mask.shape
        if max(height, width) <= self.limit or not mask.any():
            return backend.inpaint(image, mask)
        scale = self.limit / max(height, width)
        small_h, small_w = max(1, round(height * scale)), max(1, round(width * scale))
        small_mask = np.where(resize(mask, small_h, small_w) > 0, 255, 0).astype(np.uint8)
        small = backend.inpaint(resize(image, small_h, small_w), small_mask)
        return np.where(mask[:, :, None] > 0, resize(small, height, width), image)


@dataclass(frozen=True, kw_only=True)
class Crop:
    margin: int = CROP_MARGIN
    trigger: int = CROP_TRIGGER
    name = "crop"

    def __post_init__(self) -> None:
        _require_positive("crop trigger", self.trigger)
        if self.margin < 0:
            msg = f"crop margin must be >= 0, got {self.margin}"
            raise ValueError(msg)

    def run(
        self,
        backend: Inpainter,
        image: np.ndarray,
        mask: np.ndarray,
        on_region: OnRegion | None = None,
    ) -> np.ndarray:
        height, width = mask.shape
        if max(height, width) <= self.trigger:
            return backend.inpaint(image, mask)
        result = image.copy()
        boxes = mask_boxes(mask)
        for number, box in enumerate(boxes, start=1):
            if on_region is not None:
                on_region(number, len(boxes))
            crop = crop_box(box, self.margin, height, width)
            rows, cols = slice(crop.top, crop.bottom), slice(crop.left, crop.right)
            inpainted = backend.inpaint(image[rows, cols], mask[rows, cols])
            hole = mask[rows, cols] > 0
            result[rows, cols][hole] = inpainted[hole]
        return result


Strategy = Original | Resize | Crop


def make_strategy(
    name: str,
    *,
    resize_limit: int = RESIZE_LIMIT,
    margin: int = CROP_MARGIN,
    trigger: int = CROP_TRIGGER,
) -> Strategy:
    if name == "original":
        return Original()
    if name == "resize":
        return Resize(limit=resize_limit)
    if name == "crop":
        return Crop(margin=margin, trigger=trigger)
    msg = f"unknown strategy {name!r}; choose one of {', '.join(STRATEGIES)}"
    raise ValueError(msg)


def _require_positive(what: str, value: int) -> None:
    if value < 1:
        msg = f"{what} must be >= 1, got {value}"
        raise ValueError(msg)


def crop_box(box: Box, margin: int, height: int, width: int) -> Box:
    """IOPaint's ``_crop_box``: the box grown by ``margin`` around its centre, shifted back
    inside the image where it crosses an edge so the crop keeps its context."""
    cy, cx = (box.top + box.bottom) // 2, (box.left + box.right) // 2
    crop_h, crop_w = box.bottom - box.top + 2 * margin, box.right - box.left + 2 * margin
    top, bottom = _shift_inside(cy - crop_h // 2, cy + crop_h // 2, height)
    left, right = _shift_inside(cx - crop_w // 2, cx + crop_w // 2, width)
    return Box(top=top, bottom=bottom, left=left, right=right)


def _shift_inside(start: int, end: int, size: int) -> tuple[int, int]:
    lo, hi = max(start, 0), min(end, size)
    if start < 0:
        hi += -start
    if end > size:
        lo -= end - size
    return max(lo, 0), min(hi, size)


def mask_boxes(mask: np.ndarray) -> list[Box]:
    """Bounding boxes of the 8-connected regions of ``mask > 0``, top to bottom.

    Works on horizontal runs: runs on adjacent rows that touch (diagonals included) are joined
    by repeated min-label propagation with pointer jumping, all vectorised.
    """
    row, start, end = _runs(mask > 0)
    if not len(row):
        return []
    labels = _connect(row, start, end)
    _, component = np.unique(labels, return_inverse=True)
    count = int(component.max()) + 1
    top = np.full(count, mask.shape[0]), np.zeros(count, int)
    left = np.full(count, mask.shape[1]), np.zeros(count, int)
    np.minimum.at(top[0], component, row)
    np.maximum.at(top[1], component, row + 1)
    np.minimum.at(left[0], component, start)
    np.maximum.at(left[1], component, end)
    boxes = [
        Box(top=int(t), bottom=int(b), left=int(lo), right=int(hi))
        for t, b, lo, hi in zip(top[0], top[1], left[0], left[1], strict=True)
    ]
    return sorted(boxes, key=lambda b: (b.top, b.left))


def _runs(binary: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row, first column, column after the last) of each horizontal run, in raster order."""
    edges = np.diff(np.pad(binary, ((0, 0), (1, 1))).astype(np.int8), axis=1)
    row, start = np.nonzero(edges == 1)
    _, end = np.nonzero(edges == -1)
    return row, start, end


def _connect(row: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """A label per run, equal for runs of one 8-connected region."""
    # Runs [s1, e1) above and [s2, e2) below touch (diagonals included) iff e1 >= s2 and
    # s1 <= e2. Runs are in raster order, so with keys row·stride + column one global
    # searchsorted finds, per run, the index range of the touching runs on the row above.
    stride = int(end.max()) + 2
    above = (row - 1) * stride
    lo = np.searchsorted(row * stride + end, above + start, side="left")
    hi = np.searchsorted(row * stride + start, above + end, side="right")
    counts = np.maximum(hi - lo, 0)
    a = np.repeat(np.arange(len(row)), counts)
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    b = np.repeat(lo, counts) + offsets
    labels = np.arange(len(row))
    while True:
        linked = np.minimum(labels[a], labels[b])
        updated = labels.copy()
        np.minimum.at(updated, a, linked)
        np.minimum.at(updated, b, linked)
        updated = updated[updated]  # pointer jumping
        if np.array_equal(updated, labels):
            return labels
        labels = updated


def resize(array: np.ndarray, height: int, width: int) -> np.ndarray:
    """Resample an H×W or H×W×C uint8 array with an antialiased linear (triangle) filter."""
    data = array.astype(np.float32)
    data = _resample_axis(data, height, axis=0)
    data = _resample_axis(data, width, axis=1)
    return np.clip(np.rint(data), 0, 255).astype(np.uint8)


def _resample_axis(data: np.ndarray, size: int, axis: int) -> np.ndarray:
    source = data.shape[axis]
    if source == size:
        return data
    index, weight = _filter_taps(source, size)
    moved = np.moveaxis(data, axis, 0)
    out = np.zeros((size, *moved.shape[1:]), np.float32)
    expand = (slice(None),) + (None,) * (moved.ndim - 1)
    for tap in range(index.shape[1]):
        out += weight[:, tap][expand] * moved[index[:, tap]]
    return np.moveaxis(out, 0, axis)


def _filter_taps(source: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    scale = source / size
    support = max(scale, 1.0)  # widen the triangle when shrinking: antialiasing
    centres = (np.arange(size) + 0.5) * scale - 0.5
    taps = 2 * int(np.ceil(support)) + 1
    index = np.floor(centres - support).astype(np.int64)[:, None] + 1 + np.arange(taps)
    weight = np.maximum(0.0, 1.0 - np.abs(index - centres[:, None]) / support)
    # Taps outside the image are dropped and the rest renormalised, as Pillow does.
    weight[(index < 0) | (index >= source)] = 0.0
    weight /= weight.sum(axis=1, keepdims=True)
    return np.clip(index, 0, source - 1), weight.astype(np.float32)
