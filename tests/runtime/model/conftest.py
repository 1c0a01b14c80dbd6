"""Fixtures for the NumPy generator's tests: the independent torch reference, loaded by path."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest


@pytest.fixture(scope="session")
def torch_lama() -> ModuleType:
    """tests/runtime/torch_lama.py (skips the test when torch is not installed)."""
    pytest.importorskip("torch")
    if "torch_lama" in sys.modules:
        return sys.modules["torch_lama"]
    path = Path(__file__).resolve().parents[1] / "torch_lama.py"
    spec = importlib.util.spec_from_file_location("torch_lama", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["torch_lama"] = module
    spec.loader.exec_module(module)
    return module
