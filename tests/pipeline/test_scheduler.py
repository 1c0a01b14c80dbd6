"""Scheduling rules that need no build: a recipe pinned to other Pythons is skipped, not failed."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from rvwheels.pipeline.scheduler import _unsupported_python
from rvwheels.recipe.spec import BuildSpec, Recipe, SourceSpec


def _recipe(pythons: tuple[str, ...]) -> Recipe:
    return Recipe(
        name="torch",
        version="2.3.0a1",
        source=SourceSpec(url="https://example.org/t.whl", sha256="0" * 64),
        build=BuildSpec(backend="adopt", pythons=pythons),
        path=Path("/recipes/torch.toml"),
        digest="d",
    )


def _env(version: str):
    return SimpleNamespace(test=SimpleNamespace(info=SimpleNamespace(version=version)))


def test_a_pinned_recipe_says_which_pythons_it_supports():
    assert _unsupported_python(_recipe(("3.11",)), _env("3.11")) == ""
    reason = _unsupported_python(_recipe(("3.11",)), _env("3.13"))
    assert reason == "not for Python 3.13 (its recipe supports 3.11)"
    assert _unsupported_python(_recipe(()), _env("3.13")) == ""
