"""What every backend is: the ``Backend`` protocol and its errors, and the pre- and
post-processing every backend shares, so backends differ only in the network.

Image RGB uint8 → float32 in [0, 1]; mask binarised (> 0 → 1); both padded at the bottom and
right to a multiple of 8 with symmetric padding; the network predicts; the output keeps the
known pixels, ``mask·pred + (1−mask)·image``, is scaled by 255, clipped, cast to uint8 and
cropped back. An all-zero mask returns the image untouched without running anything.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

import numpy as np

MULTIPLE = 8

# predict(image (3, H, W) float32 in [0, 1], mask (1, H, W) float32 in {0, 1}) -> (3, H, W)
Predict = Callable[[np.ndarray, np.ndarray], np.ndarray]


class InputError(ValueError):
    """The image or mask handed to a backend has the wrong type or shape."""


ModelSource = str | os.PathLike[str] | Mapping[str, np.ndarray]
ProgressCallback = Callable[..., None]


class BackendError(RuntimeError):
    """A backend cannot be used: unknown name, missing package or a model it cannot run."""


class Backend(Protocol):
    name: str

    def inpaint(self, image: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """``image`` uint8 H×W×3 RGB, ``mask`` uint8 H×W (> 0 = fill); returns uint8 H×W×3."""
        ...


@dataclass(frozen=True, kw_only=True)
class Prepared:
    image: np.ndarray  # (3, Hp, Wp) float32 in [0, 1]
    mask: np.ndarray  # (1, Hp, Wp) float32 in {0, 1}
    height: int
    width: int


def check_inputs(image: np.ndarray, mask: np.ndarray) -> None:
    if (
        not isinstance(image, np.ndarray)
        or image.dtype != np.uint8
        or image.ndim != 3
        or (image.shape[2] != 3)
    ):
        msg = f"image must be a uint8 H×W×3 array, got {_describe(image)}"
        raise InputError(msg)
    if not isinstance(mask, np.ndarray) or mask.dtype != np.uint8 or mask.ndim != 2:
        msg = f"mask must be a uint8 H×W array, got {_describe(mask)}"
        raise InputError(msg)
    if mask.shape != image.shape[:2]:
        msg = (
            f"mask is {mask.shape[1]}×{mask.shape[0]} but the image is "
            f"{image.shape[1]}×{image.shape[0]}; they must be the same size"
        )
        raise InputError(msg)
    if 0 in mask.shape:
        msg = "image is empty (0 pixels)"
        raise InputError(msg)


def padded_size(size: int, multiple: int = MULTIPLE) -> int:
    # At least two multiples: at 1/8 scale the blocks reflect-pad by one pixel, needing two.
    return max(-(-size // multiple) * multiple, 2 * multiple)


def prepare(image: np.ndarray, mask: np.ndarray, multiple: int = MULTIPLE) -> Prepared:
    """Pad to ``multiple`` (8, or the model's own scale if larger) and convert to float."""
    height, width = mask.shape
    pad = ((0, padded_size(height, multiple) - height), (0, padded_size(width, multiple) - width))
    padded_image = np.pad(image, (*pad, (0, 0)), mode="symmetric")
    padded_mask = np.pad(mask, pad, mode="symmetric")
    return Prepared(
        image=(padded_image.transpose(2, 0, 1).astype(np.float32) / np.float32(255)),
        mask=(padded_mask > 0).astype(np.float32)[None],
        height=height,
        width=width,
    )


def finish(prediction: np.ndarray, prepared: Prepared, image: np.ndarray) -> np.ndarray:
    """Blend the prediction into the original uint8 ``image`` (known pixels stay exact)."""
    expected = prepared.image.shape
    if prediction.shape != expected:
        msg = f"the model returned shape {prediction.shape}, expected {expected}"
        raise InputError(msg)
    height, width = prepared.height, prepared.width
    predicted = np.nan_to_num(prediction[:, :height, :width].transpose(1, 2, 0), nan=0.0)
    predicted = np.clip(predicted * 255, 0, 255).astype(np.uint8)
    # The mask is binary, so mask·pred + (1−mask)·image is a per-pixel choice.
    hole = prepared.mask[0, :height, :width, None] > 0
    return np.where(hole, predicted, image)


def run_contract(
    image: np.ndarray, mask: np.ndarray, predict: Predict, multiple: int = MULTIPLE
) -> np.ndarray:
    """Inpaint ``image`` where ``mask`` > 0 using ``predict`` for the network itself."""
    check_inputs(image, mask)
    if not mask.any():
        return image.copy()
    prepared = prepare(image, mask, multiple)
    prediction = np.asarray(predict(prepared.image, prepared.mask), dtype=np.float32)
    return finish(prediction, prepared, image)


def masked_input(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The generator's 4-channel input: RGB with the hole zeroed, then the mask."""
    return np.concatenate([image * (1 - mask), mask]).astype(np.float32, copy=False)


def _describe(value: object) -> str:
    if isinstance(value, np.ndarray):
        return f"{value.dtype} array of shape {value.shape}"
    return type(value).__name__
