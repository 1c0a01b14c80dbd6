"""The PyTorch backend: a TorchScript export as IOPaint runs it, or weights in plain torch."""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from rvwheels_runtime.backends.contract import (
    MULTIPLE,
    BackendError,
    ModelSource,
    masked_input,
    run_contract,
)
from rvwheels_runtime.backends.torch_bridge import to_numpy, to_torch
from rvwheels_runtime.weights import check_layout, load_weights


def import_torch() -> Any:
    try:
        import torch
    except ImportError:
        msg = "the torch backend needs PyTorch: pip install torch, or use --backend numpy"
        raise BackendError(msg) from None
    return torch


def is_torchscript(path: Path) -> bool:
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as archive:
        return any(
            "/code/" in name or name.endswith("/constants.pkl") for name in archive.namelist()
        )


class TorchBackend:
    name = "torch"

    def __init__(self, model: ModelSource, *, threads: int | None = None) -> None:
        self._torch = import_torch()
        if threads is not None:
            self._torch.set_num_threads(threads)
        self._multiple = MULTIPLE
        if not isinstance(model, Mapping) and is_torchscript(Path(model)):
            self._predict = self._torchscript(Path(model))
        else:
            self._predict = self._functional(model)

    def inpaint(self, image: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return run_contract(image, mask, self._predict, self._multiple)

    def _functional(self, model: ModelSource) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
        from rvwheels_runtime.backends.torch_lama import FunctionalLama

        if isinstance(model, Mapping):
            check_layout(model, "in-memory weights")
            weights = model
        else:
            weights = load_weights(model)
        generator = FunctionalLama(weights)
        self._multiple = max(MULTIPLE, generator.config.scale)

        def predict(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
            x = to_torch(self._torch, masked_input(image, mask))[None]
            return to_numpy(generator(x)[0])

        return predict

    def _torchscript(self, path: Path) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
        torch = self._torch
        try:
            module = torch.jit.load(str(path), map_location="cpu").eval()
        except (RuntimeError, ValueError) as err:
            first_line = (
                str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            )
            msg = f"{path}: torch.jit.load failed: {first_line}"
            raise BackendError(msg) from None
        # IOPaint's big-lama.pt takes (image, mask); a bare generator takes the 4-channel input.
        arity = len(module.forward.schema.arguments) - 1

        def predict(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
            with torch.inference_mode():
                if arity >= 2:
                    out = module(to_torch(torch, image)[None], to_torch(torch, mask)[None])
                else:
                    out = module(to_torch(torch, masked_input(image, mask))[None])
            return to_numpy(out[0])

        return predict
