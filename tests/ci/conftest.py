"""Fixtures for the ci/ tests: a two-level recipe set made from the fixture recipes."""

from __future__ import annotations

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
    folder.mkdir()
    for name in (BASE, DEPENDENT):
        text = (FIXTURES / "recipes" / f"{name}.toml").read_text()
        absolute = f'path = "{FIXTURES / "packages"}/'
        folder.joinpath(f"{name}.toml").write_text(text.replace('path = "../packages/', absolute))
    with folder.joinpath(f"{DEPENDENT}.toml").open("a") as recipe:
        recipe.write(f'\n[requires]\nhost = ["{BASE}"]\n')
    return folder
