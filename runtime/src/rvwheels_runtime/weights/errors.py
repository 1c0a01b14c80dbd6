"""The one error the weights package raises (re-exported as ``rvwheels_runtime.weights``)."""

from __future__ import annotations


class WeightsError(ValueError):
    """A model file is missing, foreign, truncated or not a LaMa generator; one-line message."""
