"""Which recipes a build needs and the order to build them.

A recipe depends on the recipes it builds against (``requires.host``) and on those its run
requirements name (``requires.run``): both are built first, the first because the build needs
their wheels, the second because the tests install them. Only the host ones count for
freshness (see rvwheels.pipeline.freshness).
"""

from __future__ import annotations

import graphlib
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from rvwheels.errors import ConfigurationError, RecipeError
from rvwheels.recipe.loader import load_recipes
from rvwheels.recipe.spec import Recipe
from rvwheels.schema import did_you_mean, show


def run_recipes(recipe: Recipe, recipes: Mapping[str, object]) -> tuple[str, ...]:
    """The run requirements that one of ``recipes`` builds (normalised names, in order)."""
    names = (canonicalize_name(Requirement(r).name) for r in recipe.requires.run)
    return tuple(dict.fromkeys(name for name in names if name in recipes))


def pypi_run_requirements(recipe: Recipe, recipes: Mapping[str, object]) -> tuple[str, ...]:
    """The run requirements that come from PyPI: those naming none of ``recipes``."""
    return tuple(
        r for r in recipe.requires.run if canonicalize_name(Requirement(r).name) not in recipes
    )


def recipe_dependencies(recipe: Recipe, recipes: Mapping[str, object]) -> tuple[str, ...]:
    """Host recipes, then the run requirements our recipes build, without repeats."""
    return tuple(dict.fromkeys([*recipe.requires.host, *run_recipes(recipe, recipes)]))


def dependency_closure(
    requested: Sequence[str], recipes: Mapping[str, Recipe]
) -> dict[str, tuple[str, ...]]:
    """Every requested recipe and everything it needs, each mapped to its direct recipe deps.

    Names are normalised (PEP 503). Every unknown name, requested or a host dependency, is
    reported in one ConfigurationError.
    """
    wanted = [canonicalize_name(name) for name in requested]
    unknown = unknown_names(wanted, recipes)
    closure: dict[str, tuple[str, ...]] = {}
    pending = [name for name in wanted if name in recipes]
    while pending:
        name = pending.pop(0)
        if name in closure:
            continue
        recipe = recipes[name]
        unknown += [
            _unknown_host(dep, recipe, recipes)
            for dep in recipe.requires.host
            if dep not in recipes
        ]
        closure[name] = tuple(d for d in recipe_dependencies(recipe, recipes) if d in recipes)
        pending += closure[name]
    if unknown:
        raise ConfigurationError("; ".join(unknown))
    return closure


def build_order(requested: Sequence[str], recipes: Mapping[str, Recipe]) -> list[str]:
    """The closure of ``requested`` with every recipe after the recipes it requires."""
    return list(ordered_closure(requested, recipes))


def ordered_closure(
    requested: Sequence[str], recipes: Mapping[str, Recipe], *, python: str | None = None
) -> dict[str, tuple[str, ...]]:
    """``dependency_closure`` in build order (every recipe after those it requires);
    ``python``: the Python the recipes were read for, named in a cycle's message."""
    closure = dependency_closure(requested, recipes)
    try:
        order = graphlib.TopologicalSorter(closure).static_order()
        return {name: closure[name] for name in order}
    except graphlib.CycleError as error:
        raise _cycle_error(error.args[1], recipes, python) from error


def check_override_graphs(recipes: Mapping[str, Recipe], directory: Path) -> None:
    """Check the graph of every Python that an ``[[overrides]]`` entry of ``recipes`` names:
    an override may add a requirement, so a cycle or an unknown recipe can exist only there.
    ``recipes`` are those of ``directory`` read without a Python (what ``plan`` shows)."""
    for python in sorted({version for r in recipes.values() for version in r.override_pythons}):
        seen = load_recipes(directory, python)
        ordered_closure(sorted(seen), seen, python=python)


def unknown_names(wanted: Sequence[str], known: Collection[str]) -> list[str]:
    """One message per name in ``wanted`` that is not in ``known``, with a suggestion."""
    return [_unknown_requested(name, known) for name in wanted if name not in known]


def _unknown_requested(name: str, recipes: Collection[str]) -> str:
    hint = did_you_mean(name, recipes) or f"known recipes: {_known(recipes)}"
    return f"no recipe named {show(name)}; {hint}"


def _unknown_host(dep: str, recipe: Recipe, recipes: Mapping[str, Recipe]) -> str:
    hint = did_you_mean(dep, recipes) or f"add {dep}.toml or remove it"
    return f"{recipe.path}: requires.host: no recipe named {show(dep)}; {hint}"


def _known(recipes: Collection[str]) -> str:
    return ", ".join(sorted(recipes)) or "none (is the recipe directory empty?)"


def _cycle_error(
    cycle: list[str], recipes: Mapping[str, Recipe], python: str | None = None
) -> RecipeError:
    # graphlib lists each node before the node that requires it; show "x requires y" order.
    chain = list(reversed(cycle))
    files = ", ".join(str(recipes[name].path) for name in dict.fromkeys(chain))
    where = "" if python is None else f" for Python {python} (its [[overrides]])"
    msg = (
        f"dependency cycle in requires{where}: {' -> '.join(chain)} (each requires the next,"
        f" in {files}); remove one of these requirements"
    )
    return RecipeError(msg)


def build_levels(requested: Sequence[str], recipes: Mapping[str, Recipe]) -> list[list[str]]:
    """The closure of ``requested`` in levels: each level needs only recipes of earlier levels,
    so a CI matrix can build a level's recipes in parallel jobs."""
    closure = dependency_closure(requested, recipes)
    sorter = graphlib.TopologicalSorter(closure)
    try:
        sorter.prepare()
    except graphlib.CycleError as error:
        raise _cycle_error(error.args[1], recipes) from error
    levels = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready())
        levels.append(ready)
        sorter.done(*ready)
    return levels
