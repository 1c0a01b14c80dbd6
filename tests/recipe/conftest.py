"""Fixture recipes written into tmp_path by the tests themselves."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

WriteRecipe = Callable[..., Path]


@pytest.fixture
def write_recipe(tmp_path: Path) -> WriteRecipe:
    """Write ``text`` as ``<stem>.toml`` in tmp_path, with the patches FULL_RECIPE names."""

    def write(text: str, stem: str = "numpy") -> Path:
        patches = tmp_path / "patches" / "numpy"
        patches.mkdir(parents=True, exist_ok=True)
        (patches / "0001-fix.patch").write_text("--- a/x\n+++ b/x\n")
        (patches / "0002-more.patch").write_text("--- a/y\n+++ b/y\n")
        path = tmp_path / f"{stem}.toml"
        path.write_text(text, encoding="utf-8")
        return path

    return write
