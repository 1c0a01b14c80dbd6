"""The ONNX backend: an exported LaMa run by onnxruntime (CPU).

LaMa exports exist only with the FFT rewritten as DFT products, and most have a fixed input
size (often 512×512). Accepted inputs: ``(image, mask)`` — told apart by their channel count
(3 and 1), else by name — or one 4-channel tensor (RGB with the hole zeroed, then the mask).
A fixed-size model gets the padded image resampled to its size and its output resampled
back. The output may be in [0, 1] or, as some exports do, in [0, 255]; a maximum above 1.5
means the latter.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from rvwheels_runtime.backends.contract import BackendError, masked_input, run_contract
from rvwheels_runtime.strategies import resize

BYTE_SCALE_THRESHOLD = 1.5


def import_onnxruntime() -> Any:
    try:
        import onnxruntime
    except ImportError:
        msg = "the onnx backend needs onnxruntime: pip install onnxruntime, or use --backend numpy"
        raise BackendError(msg) from None
    return onnxruntime


class OnnxBackend:
    name = "onnx"

    def __init__(self, path: Path, *, threads: int | None = None) -> None:
        ort = import_onnxruntime()
        if not path.is_file():
            msg = f"{path}: no such model file"
            raise BackendError(msg)
        options = ort.SessionOptions()
        if threads is not None:
            options.intra_op_num_threads = threads
        try:
            self._session = ort.InferenceSession(
                str(path), options, providers=["CPUExecutionProvider"]
            )
        except Exception as err:  # onnxruntime raises its own unrelated exception types
            first_line = (str(err).strip().splitlines() or [type(err).__name__])[0]
            msg = f"{path}: onnxruntime cannot load this model: {first_line}"
            raise BackendError(msg) from None
        self._inputs = self._input_roles(path)
        self._fixed = self._fixed_size()

    def inpaint(self, image: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return run_contract(image, mask, self._predict)

    def _input_roles(self, path: Path) -> dict[str, str]:
        """Map input name → "image", "mask" or "combined"."""
        inputs = self._session.get_inputs()
        if len(inputs) == 1 and _channels(inputs[0]) in (4, None):
            return {inputs[0].name: "combined"}
        if len(inputs) == 2:
            by_channels = {_channels(i): i.name for i in inputs}
            if set(by_channels) == {1, 3}:
                return {by_channels[3]: "image", by_channels[1]: "mask"}
            names = [i.name for i in inputs]
            masks = [n for n in names if "mask" in n.lower()]
            if len(masks) == 1:
                other = next(n for n in names if n != masks[0])
                return {other: "image", masks[0]: "mask"}
        described = ", ".join(f"{i.name}{list(i.shape)}" for i in inputs)
        msg = (
            f"{path}: unexpected ONNX inputs ({described}); "
            "expected (image, mask) or one 4-channel input"
        )
        raise BackendError(msg)

    def _fixed_size(self) -> tuple[int, int] | None:
        shape = self._session.get_inputs()[0].shape
        if len(shape) == 4 and isinstance(shape[2], int) and isinstance(shape[3], int):
            return shape[2], shape[3]
        return None

    def _predict(self, image: np.ndarray, mask: np.ndarray) -> np.ndarray:
        height, width = image.shape[1:]
        if self._fixed and self._fixed != (height, width):
            image, mask = _to_size(image, mask, self._fixed)
        feeds = {}
        for name, role in self._inputs.items():
            value = {"image": image, "mask": mask}.get(role)
            feeds[name] = (masked_input(image, mask) if value is None else value)[None]
        out = np.asarray(self._session.run(None, feeds)[0], dtype=np.float32)[0]
        if out.max(initial=0.0) > BYTE_SCALE_THRESHOLD:
            out = out / np.float32(255)
        if out.shape[1:] != (height, width):
            out = _from_size(out, (height, width))
        return out


def _channels(node: Any) -> int | None:
    shape = node.shape
    return shape[1] if len(shape) == 4 and isinstance(shape[1], int) else None


def _to_size(
    image: np.ndarray, mask: np.ndarray, size: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    as_bytes = (image.transpose(1, 2, 0) * 255).round().astype(np.uint8)
    small = resize(as_bytes, *size).transpose(2, 0, 1).astype(np.float32) / np.float32(255)
    small_mask = (resize((mask[0] * 255).astype(np.uint8), *size) > 0).astype(np.float32)
    return small, small_mask[None]


def _from_size(out: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    as_bytes = np.clip(out.transpose(1, 2, 0) * 255, 0, 255).round().astype(np.uint8)
    return resize(as_bytes, *size).transpose(2, 0, 1).astype(np.float32) / np.float32(255)
