"""Fixtures for the ci/ tests: a two-level recipe set made from the fixture recipes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ._ci_files import PROJECT

FIXTURES = PROJECT / "tests" / "fixtures"
BASE = "rvw-meson-c"
DEPENDENT = "rvw-setuptools-c"


@pytest.fixture
def two_level_recipes(tmp_path) -> Path:
    """The fixture recipes of rvw-meson-c and rvw-setuptools-c, the second requiring the first,
    so the plan has two levels (the fixture recipes alone are one level)."""
    folder = tmp_path / "recipes"
    # A recipe's source folder must lie inside the recipe's folder: copy the packages along.
    shutil.copytree(FIXTURES / "recipes" / "packages", folder / "packages")
    for name in (BASE, DEPENDENT):
        shutil.copy(FIXTURES / "recipes" / f"{name}.toml", folder)
    with folder.joinpath(f"{DEPENDENT}.toml").open("a") as recipe:
        recipe.write(f'\n[requires]\nhost = ["{BASE}"]\n')
    return folder
