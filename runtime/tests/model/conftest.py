"""Fixtures for the NumPy generator's tests: the independent torch reference, loaded by path."""

from __future__ import annotations

from types import ModuleType

import pytest
from lama_reference import load_torch_lama


@pytest.fixture(scope="session")
def torch_lama() -> ModuleType:
    """runtime/tests/torch_lama.py (skips the test when torch is not installed)."""
    return load_torch_lama()
