"""Recipes: the typed spec, the validating loader and the dependency graph."""

from rvwheels.recipe.graph import build_order, dependency_closure
from rvwheels.recipe.loader import find_recipe, load_recipe, load_recipes
from rvwheels.recipe.spec import BACKENDS, MODES, Recipe

__all__ = [
    "BACKENDS",
    "MODES",
    "Recipe",
    "build_order",
    "dependency_closure",
    "find_recipe",
    "load_recipe",
    "load_recipes",
]
