"""NumPy implementation of LaMa's big-lama generator (FFCResNetGenerator)."""

from rvwheels_runtime.model.config import BIG_LAMA, LamaConfig, config_from_weights
from rvwheels_runtime.model.generator import LamaGenerator
from rvwheels_runtime.model.layout import check_weights, expected_shapes, random_weights

__all__ = [
    "BIG_LAMA",
    "LamaConfig",
    "LamaGenerator",
    "check_weights",
    "config_from_weights",
    "expected_shapes",
    "random_weights",
]
