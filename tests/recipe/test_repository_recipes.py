"""Every recipe checked into the repository must pass the loader (a drift test for the data)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from rvwheels.paths import PROJECT_ROOT, RECIPES_DIR
from rvwheels.recipe.graph import build_order
from rvwheels.recipe.loader import load_recipe, load_recipes

RECIPE_DIRS = (RECIPES_DIR, PROJECT_ROOT / "tests" / "fixtures" / "recipes")
RECIPE_FILES = sorted(path for directory in RECIPE_DIRS for path in directory.glob("*.toml"))


@pytest.mark.parametrize("path", RECIPE_FILES, ids=lambda path: path.name)
def test_checked_in_recipe_is_valid(path: Path) -> None:
    assert load_recipe(path).name == path.stem


@pytest.mark.parametrize(
    "directory", RECIPE_DIRS, ids=lambda path: str(path.relative_to(PROJECT_ROOT))
)
def test_checked_in_recipes_form_a_buildable_graph(directory: Path) -> None:
    recipes = load_recipes(directory) if directory.is_dir() else {}
    assert sorted(build_order(list(recipes), recipes)) == sorted(recipes)


def test_the_example_in_format_md_is_a_valid_recipe(tmp_path: Path) -> None:
    text = (RECIPES_DIR / "FORMAT.md").read_text(encoding="utf-8")
    example = text.split("```toml\n", 1)[1].split("```", 1)[0]
    example = example.replace('"…64 hex digits…"', f'"{"0" * 64}"')
    for patch in patches_named_in(example):
        (tmp_path / patch).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / patch).write_text("")
    (tmp_path / "numpy.toml").write_text(example, encoding="utf-8")

    recipe = load_recipe(tmp_path / "numpy.toml")

    assert recipe.name == "numpy" and recipe.source.filename == "numpy-2.4.6.tar.gz"


def patches_named_in(example: str) -> list[str]:
    return tomllib.loads(example)["source"].get("patches", [])
