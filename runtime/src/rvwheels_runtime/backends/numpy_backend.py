"""The default backend: the pure-NumPy LaMa generator."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from rvwheels_runtime.backends.contract import (
    MULTIPLE,
    ModelSource,
    ProgressCallback,
    masked_input,
    run_contract,
)
from rvwheels_runtime.weights import check_layout, load_weights


class NumpyBackend:
    name = "numpy"

    def __init__(
        self,
        model: ModelSource,
        *,
        threads: int | None = None,
        progress: ProgressCallback | None = None,
    ) -> None:
        from rvwheels_runtime.model.generator import LamaGenerator

        if isinstance(model, Mapping):
            check_layout(model, "in-memory weights")
            weights = model
        else:
            weights = load_weights(model)
        self._generator = LamaGenerator(weights, threads=threads, progress=progress)
        self._multiple = max(MULTIPLE, self._generator.config.scale)

    def inpaint(self, image: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return run_contract(image, mask, self._predict, self._multiple)

    def _predict(self, image: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return self._generator.forward(masked_input(image, mask))
