"""A classical inpainting that needs no model file: harmonic fill by coarse-to-fine diffusion.

Every masked pixel gets the solution of Laplace's equation with the surrounding known pixels
as boundary values (the crop's own edge, where the mask reaches the image border, reflects).
That is the smoothest surface through the hole's rim: plausible for small objects on skies,
walls and skin, a soft smudge on strong texture. The solve is cascadic multigrid: the crop is
halved until tiny, solved there, and each finer level starts from the coarser solution and
runs a few red-black over-relaxation sweeps that touch only the hole's pixels. Work is
proportional to the hole's area, on a box around each mask region with a small margin, so
1920×1080 stays bounded and 512² takes well under a second.

``ClassicalBackend`` has the backends' ``inpaint(image, mask)`` contract, so a server or a
strategy uses it like the LaMa backends.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from rvwheels_runtime.backends.contract import check_inputs
from rvwheels_runtime.strategies import Box, mask_boxes

# Known pixels around each mask region that the coarse levels see; the fine level needs one.
MARGIN = 16
# Red-black sweeps per level after the coarser solution is enlarged, and the over-relaxation
# factor: on a 120-pixel disc these reach the converged fill to within rounding.
SWEEPS = 20
OMEGA = 1.8
# Above this many regions (a speckled mask) one box around them all is cheaper than merging.
MAX_REGIONS = 64
# Levels this small (in pixels) are solved directly by many sweeps from the mean.
COARSEST_PIXELS = 64
COARSEST_SWEEPS = 200
# What a hole with no known pixel at all (the whole crop masked) becomes: mid-grey.
NO_CONTEXT_VALUE = 0.5

Progress = Callable[[str, int, int], None]


class ClassicalBackend:
    """Harmonic (membrane) inpainting in NumPy; the eraser's default when no model is given."""

    name = "classical"
    description = "classical harmonic fill (NumPy, no model file)"
    stages = (("fill", 1.0),)

    def __init__(
        self,
        *,
        progress: Progress | None = None,
        margin: int = MARGIN,
        sweeps: int = SWEEPS,
        omega: float = OMEGA,
    ) -> None:
        if margin < 1 or sweeps < 1 or not 0 < omega < 2:
            msg = (
                f"classical fill needs margin >= 1, sweeps >= 1 and 0 < omega < 2; "
                f"got {margin}, {sweeps}, {omega}"
            )
            raise ValueError(msg)
        self._progress = progress
        self._margin = margin
        self._sweeps = sweeps
        self._omega = omega

    def inpaint(self, image: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """``image`` uint8 H×W×3, ``mask`` uint8 H×W (> 0 = fill); returns uint8 H×W×3."""
        check_inputs(image, mask)
        result = image.copy()
        hole = mask > 0
        boxes = region_boxes(hole, self._margin)
        self._report(0, len(boxes))
        for number, box in enumerate(boxes, start=1):
            rows, cols = slice(box.top, box.bottom), slice(box.left, box.right)
            crop_hole = hole[rows, cols]
            values = image[rows, cols].astype(np.float32) / np.float32(255)
            filled = harmonic_fill(values, crop_hole, sweeps=self._sweeps, omega=self._omega)
            pixels = np.clip(np.rint(filled[crop_hole] * 255), 0, 255).astype(np.uint8)
            result[rows, cols][crop_hole] = pixels
            self._report(number, len(boxes))
        return result

    def _report(self, done: int, total: int) -> None:
        if self._progress is not None:
            self._progress("fill", done, total)


def region_boxes(hole: np.ndarray, margin: int) -> list[Box]:
    """Boxes around the mask's 8-connected regions grown by ``margin`` (clipped to the image),
    with overlapping boxes merged so that no pixel is solved twice."""
    height, width = hole.shape
    regions = mask_boxes(hole)
    if len(regions) > MAX_REGIONS:
        regions = [_union(regions[0], *regions[1:])]
    grown = [
        Box(
            top=max(b.top - margin, 0),
            bottom=min(b.bottom + margin, height),
            left=max(b.left - margin, 0),
            right=min(b.right + margin, width),
        )
        for b in regions
    ]
    return _merge_overlapping(grown)


def _merge_overlapping(boxes: list[Box]) -> list[Box]:
    merged = list(boxes)
    changed = True
    while changed:
        changed = False
        for i in range(len(merged)):
            for j in range(i + 1, len(merged)):
                if _overlap(merged[i], merged[j]):
                    merged[i] = _union(merged[i], merged.pop(j))
                    changed = True
                    break
            if changed:
                break
    return merged


def _overlap(a: Box, b: Box) -> bool:
    return a.top < b.bottom and b.top < a.bottom and a.left < b.right and b.left < a.right


def _union(*boxes: Box) -> Box:
    return Box(
        top=min(b.top for b in boxes),
        bottom=max(b.bottom for b in boxes),
        left=min(b.left for b in boxes),
        right=max(b.right for b in boxes),
    )


def harmonic_fill(
    values: np.ndarray, hole: np.ndarray, *, sweeps: int = SWEEPS, omega: float = OMEGA
) -> np.ndarray:
    """``values`` H×W×C float32 with the ``hole`` (H×W bool) pixels replaced by the harmonic
    fill of the others; known pixels are returned unchanged."""
    if hole.size <= COARSEST_PIXELS or min(hole.shape) <= 2:
        start = values.copy()
        known = ~hole
        start[hole] = values[known].mean(axis=0) if known.any() else NO_CONTEXT_VALUE
        return _relax(start, hole, COARSEST_SWEEPS, omega)
    coarse_values, coarse_hole = _halve(values, hole)
    coarse = harmonic_fill(coarse_values, coarse_hole, sweeps=sweeps, omega=omega)
    enlarged = np.repeat(np.repeat(coarse, 2, axis=0), 2, axis=1)[: hole.shape[0], : hole.shape[1]]
    start = np.where(hole[:, :, None], enlarged, values)
    return _relax(start, hole, sweeps, omega)


def _halve(values: np.ndarray, hole: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """2×2 blocks: the mean of each block's known pixels; a block with none stays a hole."""
    pad = ((0, hole.shape[0] % 2), (0, hole.shape[1] % 2))
    known = np.pad(~hole, pad, mode="edge").astype(np.float32)
    padded = np.pad(values, (*pad, (0, 0)), mode="edge")
    height, width = known.shape[0] // 2, known.shape[1] // 2
    counts = known.reshape(height, 2, width, 2).sum(axis=(1, 3))
    sums = (padded * known[:, :, None]).reshape(height, 2, width, 2, -1).sum(axis=(1, 3))
    coarse_known = counts > 0
    means = sums / np.maximum(counts, 1)[:, :, None]
    return np.where(coarse_known[:, :, None], means, 0).astype(np.float32), ~coarse_known


def _relax(field: np.ndarray, hole: np.ndarray, sweeps: int, omega: float) -> np.ndarray:
    """Red-black successive over-relaxation of Laplace's equation on the hole's pixels only.

    Neighbour indices are clamped at the crop's edge, which makes it a reflecting boundary."""
    height, width = hole.shape
    flat = field.reshape(height * width, -1)
    index = np.flatnonzero(hole)
    row, col = np.divmod(index, width)
    neighbours = np.stack(
        [
            np.maximum(row - 1, 0) * width + col,
            np.minimum(row + 1, height - 1) * width + col,
            row * width + np.maximum(col - 1, 0),
            row * width + np.minimum(col + 1, width - 1),
        ]
    )
    red = (row + col) % 2 == 0
    colours = [(index[red], neighbours[:, red]), (index[~red], neighbours[:, ~red])]
    weight = np.float32(omega)
    for _ in range(sweeps):
        for pixels, around in colours:
            mean = (flat[around[0]] + flat[around[1]] + flat[around[2]] + flat[around[3]]) * 0.25
            flat[pixels] += weight * (mean - flat[pixels])
    return field
