"""HD strategies with a fake backend, the connected-component boxes and the resampler."""

from __future__ import annotations

from collections import deque

import numpy as np
import pytest
from rvwheels_runtime.strategies import (
    Box,
    Crop,
    Original,
    Resize,
    crop_box,
    make_strategy,
    mask_boxes,
    resize,
)

FILL = 77


class FakeBackend:
    """Fills the hole with FILL and records what it was given."""

    def __init__(self) -> None:
        self.calls: list[tuple[np.ndarray, np.ndarray]] = []

    def inpaint(self, image: np.ndarray, mask: np.ndarray) -> np.ndarray:
        self.calls.append((image.copy(), mask.copy()))
        out = image.copy()
        out[mask > 0] = FILL
        return out


def _scene(height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (height, width, 3), dtype=np.uint8), np.zeros(
        (height, width), np.uint8
    )


def test_original_runs_once_on_the_whole_image() -> None:
    image, mask = _scene(50, 60)
    mask[5:9, 5:9] = 255
    backend = FakeBackend()
    out = Original().run(backend, image, mask)
    assert len(backend.calls) == 1 and backend.calls[0][0].shape == (50, 60, 3)
    assert (out[5:9, 5:9] == FILL).all()


def test_resize_below_the_limit_runs_at_full_size() -> None:
    image, mask = _scene(300, 200)
    mask[10:20, 10:20] = 255
    backend = FakeBackend()
    Resize(limit=300).run(backend, image, mask)
    assert backend.calls[0][0].shape == (300, 200, 3)


def test_resize_shrinks_inpaints_and_pastes_only_masked_pixels() -> None:
    image, mask = _scene(400, 1000)
    mask[100:200, 300:500] = 255
    backend = FakeBackend()
    out = Resize(limit=250).run(backend, image, mask)
    small_image, small_mask = backend.calls[0]
    assert small_image.shape == (100, 250, 3) and len(backend.calls) == 1
    assert small_mask.any() and set(np.unique(small_mask)) <= {0, 255}
    hole = mask > 0
    np.testing.assert_array_equal(out[~hole], image[~hole])
    assert (out[110:190, 310:490] == FILL).all()  # away from the blurred edge


def test_crop_below_the_trigger_runs_on_the_whole_image() -> None:
    image, mask = _scene(300, 400)
    mask[10:20, 10:20] = 255
    backend = FakeBackend()
    Crop(margin=16, trigger=400).run(backend, image, mask)
    assert backend.calls[0][0].shape == (300, 400, 3)


def test_crop_inpaints_each_region_with_its_margin() -> None:
    image, mask = _scene(600, 900)
    mask[100:140, 200:260] = 255
    mask[400:420, 850:890] = 255  # near the right edge: the crop shifts left
    regions: list[tuple[int, int]] = []
    backend = FakeBackend()
    out = Crop(margin=32, trigger=500).run(
        backend, image, mask, on_region=lambda i, n: regions.append((i, n))
    )
    assert regions == [(1, 2), (2, 2)]
    shapes = [call[0].shape[:2] for call in backend.calls]
    assert shapes == [(40 + 64, 60 + 64), (20 + 64, 40 + 64)]
    # The crop was taken at the right place: its pixels are the image's.
    crop = crop_box(Box(top=400, bottom=420, left=850, right=890), 32, 600, 900)
    assert (crop.left, crop.right) == (796, 900)
    np.testing.assert_array_equal(
        backend.calls[1][0], image[crop.top : crop.bottom, crop.left : crop.right]
    )
    hole = mask > 0
    assert (out[hole] == FILL).all()
    np.testing.assert_array_equal(out[~hole], image[~hole])


@pytest.mark.parametrize(
    ("box", "expected"),
    [
        (
            Box(top=100, bottom=140, left=200, right=260),
            Box(top=68, bottom=172, left=168, right=292),
        ),
        (Box(top=0, bottom=10, left=0, right=10), Box(top=0, bottom=74, left=0, right=74)),
        (
            Box(top=590, bottom=600, left=890, right=900),
            Box(top=526, bottom=600, left=826, right=900),
        ),
        (Box(top=0, bottom=600, left=0, right=900), Box(top=0, bottom=600, left=0, right=900)),
    ],
)
def test_crop_box_follows_iopaint(box: Box, expected: Box) -> None:
    assert crop_box(box, 32, 600, 900) == expected


def _flood_fill_boxes(binary: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Slow, obvious 8-connected labelling to check the vectorised one against."""
    seen = np.zeros_like(binary, bool)
    boxes = []
    for start in zip(*np.nonzero(binary), strict=True):
        if seen[start]:
            continue
        seen[start] = True
        queue, cells = deque([start]), []
        while queue:
            r, c = queue.popleft()
            cells.append((r, c))
            for dr in (-1, 0, 1):
                for dc in (-1, 0, 1):
                    nr, nc = r + dr, c + dc
                    inside = 0 <= nr < binary.shape[0] and 0 <= nc < binary.shape[1]
                    if inside and binary[nr, nc] and not seen[nr, nc]:
                        seen[nr, nc] = True
                        queue.append((nr, nc))
        rows, cols = zip(*cells, strict=True)
        boxes.append((min(rows), max(rows) + 1, min(cols), max(cols) + 1))
    return sorted(boxes)


@pytest.mark.parametrize("seed", range(30))
def test_mask_boxes_match_a_flood_fill(seed: int) -> None:
    rng = np.random.default_rng(seed)
    height, width = rng.integers(1, 30, 2)
    mask = (rng.random((height, width)) < rng.uniform(0.05, 0.6)).astype(np.uint8) * 255
    boxes = sorted((b.top, b.bottom, b.left, b.right) for b in mask_boxes(mask))
    assert boxes == _flood_fill_boxes(mask > 0)


def test_mask_boxes_follow_a_long_snake() -> None:
    mask = np.zeros((201, 201), np.uint8)
    mask[::4] = 1
    for k in range(50):  # join row 4k to row 4k+4 at alternating ends
        mask[4 * k + 1 : 4 * k + 4, -1 if k % 2 == 0 else 0] = 1
    assert mask_boxes(mask) == [Box(top=0, bottom=201, left=0, right=201)]
    assert mask_boxes(np.zeros((5, 5), np.uint8)) == []


def test_resize_keeps_constants_and_matches_pillow() -> None:
    flat = np.full((37, 53, 3), 90, np.uint8)
    assert (resize(flat, 11, 101) == 90).all()
    Image = pytest.importorskip("PIL.Image")
    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, (120, 90, 3), dtype=np.uint8)
    image = np.repeat(np.repeat(image, 4, axis=0), 4, axis=1)  # some structure at each scale
    for height, width in [(100, 60), (480, 360), (61, 777)]:
        ours = resize(image, height, width).astype(int)
        theirs = np.asarray(
            Image.fromarray(image).resize((width, height), Image.Resampling.BILINEAR)
        ).astype(int)
        assert np.abs(ours - theirs).max() <= 1, (height, width)


def test_make_strategy_validates() -> None:
    assert make_strategy("resize", resize_limit=512) == Resize(limit=512)
    assert make_strategy("crop", margin=0, trigger=10) == Crop(margin=0, trigger=10)
    with pytest.raises(ValueError, match="unknown strategy"):
        make_strategy("tile")
    with pytest.raises(ValueError, match="resize limit"):
        Resize(limit=0)
