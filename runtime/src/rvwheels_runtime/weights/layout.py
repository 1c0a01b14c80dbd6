"""Judge a loaded state dict against the generator layout before any layer runs."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from rvwheels_runtime.model.config import LamaConfig, config_from_weights
from rvwheels_runtime.model.layout import check_weights
from rvwheels_runtime.weights.errors import WeightsError


def check_layout(weights: Mapping[str, np.ndarray], source: str) -> LamaConfig:
    """Raise WeightsError unless ``weights`` is exactly a generator state dict; return its config.

    The architecture (blocks, widths) is inferred from the keys, so a valid smaller generator
    passes; a missing, extra or mis-shaped tensor is named in the message.
    """
    try:
        config = config_from_weights(weights)
        check_weights(weights, config)
    except ValueError as err:
        msg = f"{source}: not a complete LaMa generator: {err}"
        raise WeightsError(msg) from None
    return config
