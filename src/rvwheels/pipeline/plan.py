"""The resolved plan of a run: recipes loaded once and the dependency graph resolved once per
target Python, into frozen entries that say what to build, in which mode, against what.

The scheduler hands these entries to the builder; nothing after this reads a recipe file or
walks the graph again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rvwheels.builder.backends import get_backend
from rvwheels.environment.modes import mode_for
from rvwheels.environment.target import Target, load_target
from rvwheels.errors import ConfigurationError
from rvwheels.options import BuildOptions
from rvwheels.recipe.graph import ordered_closure
from rvwheels.recipe.loader import load_recipes
from rvwheels.recipe.spec import NO_SYSTEM, Recipe, SystemSpec
from rvwheels.schema import did_you_mean

NOTHING_ASKED = "name at least one package (see 'rvwheels list') or use --all"


@dataclass(frozen=True, kw_only=True)
class PlanEntry:
    recipe: Recipe  # as the target Python reads it (its [[overrides]] applied)
    python: str  # the target Python version, "3.13"
    mode: str  # the mode it builds in (a recipe that cannot cross-build builds emulated)
    variant: str | None  # the variant asked for with --variant, else the default
    host: tuple[str, ...]  # recipes it builds against: their wheels count for freshness
    run: tuple[str, ...]  # recipes its run requirements name: built first, tested with it
    system: SystemSpec = NO_SYSTEM  # Debian packages its build root needs (recipe + backend)
    skip: str = ""  # why it is not built for this Python ("": it is built)

    @property
    def name(self) -> str:
        return self.recipe.name

    @property
    def needs(self) -> tuple[str, ...]:
        """Everything that must be built before it."""
        return (*self.host, *(r for r in self.run if r not in self.host))


@dataclass(frozen=True, kw_only=True)
class Plan:
    python: str
    entries: tuple[PlanEntry, ...]  # in build order
    own_projects: frozenset[str]  # every project a recipe of ours builds

    @property
    def order(self) -> list[str]:
        return [entry.name for entry in self.entries]

    def entry(self, name: str) -> PlanEntry:
        return next(entry for entry in self.entries if entry.name == name)


def resolve_plan(
    options: BuildOptions, requested: Sequence[str], *, python: str, all_recipes: bool = False
) -> Plan:
    """The plan for target Python ``python`` ("3.13"): ``requested`` and what they need."""
    recipes = load_recipes(options.recipes_dir, python)
    wanted = sorted(recipes) if all_recipes else list(requested)
    if not wanted:
        raise ConfigurationError(NOTHING_ASKED)
    closure = ordered_closure(wanted, recipes)
    target = load_target(toolchain_dir=options.toolchain_dir)
    entries = tuple(
        _entry(recipes[name], needs, python=python, options=options, target=target)
        for name, needs in closure.items()
    )
    return Plan(python=python, entries=entries, own_projects=frozenset(recipes))


def _entry(
    recipe: Recipe,
    needs: tuple[str, ...],
    *,
    python: str,
    options: BuildOptions,
    target: Target,
) -> PlanEntry:
    backend = get_backend(recipe.build.backend)
    return PlanEntry(
        recipe=recipe,
        python=python,
        mode=mode_for(recipe, options.mode),
        variant=_variant(recipe, options.variants.get(recipe.name)),
        host=recipe.requires.host,
        run=tuple(name for name in needs if name not in recipe.requires.host),
        system=merged(backend.system(target), recipe.requires.system),
        skip=unsupported_python(recipe, python),
    )


def merged(*specs: SystemSpec) -> SystemSpec:
    """The packages of every spec, in order, without repeats."""
    return SystemSpec(
        build=tuple(dict.fromkeys(p for spec in specs for p in spec.build)),
        target=tuple(dict.fromkeys(p for spec in specs for p in spec.target)),
    )


def _variant(recipe: Recipe, asked: str | None) -> str | None:
    """The variant to build: the one asked for (which must exist), else the default."""
    variant = recipe.build.variant(asked)
    if asked is not None and variant is None:
        names = [v.name for v in recipe.build.variants]
        known = ", ".join(names) or "none (it has no [build.variants])"
        hint = did_you_mean(asked, names)
        msg = f"--variant {recipe.name}={asked}: no such variant; {hint} variants: {known}"
        raise ConfigurationError(" ".join(msg.split()))
    return None if variant is None else variant.name


def unsupported_python(recipe: Recipe, python: str) -> str:
    """Why ``recipe`` is not built for ``python``, or "" (a recipe may pin its Pythons)."""
    if recipe.build.pythons and python not in recipe.build.pythons:
        return f"not for Python {python} (its recipe supports {', '.join(recipe.build.pythons)})"
    return ""
