"""The one way tests reach the independent torch reference (runtime/tests/torch_lama.py)."""

from __future__ import annotations

from types import ModuleType

import pytest


def load_torch_lama() -> ModuleType:
    """The reference module; skips the calling test when torch is not installed."""
    pytest.importorskip("torch")
    import torch_lama

    return torch_lama
