"""The recipes of an app's set: ours, copied into a work folder, plus drafts that ``rvwheels
new`` writes there for projects we have no recipe for (never into the project's recipes/)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from rvwheels.drafting.command import draft_recipe
from rvwheels.drafting.pypi import newest_matching
from rvwheels.errors import ConfigurationError
from rvwheels.hashing import sha256_text
from rvwheels.options import BuildOptions
from rvwheels.recipe.loader import load_recipes


@dataclass(frozen=True, kw_only=True)
class Chosen:
    name: str  # the recipe to build
    drafted: Path | None  # the draft written for it, if it is not one of ours


def work_recipes(options: BuildOptions) -> Path:
    """``<work>/appset/<key>/recipes``: our recipes (refreshed each run) beside the drafts of
    earlier runs; one such folder per recipe folder of ours, so that two never mix."""
    key = sha256_text(str(options.recipes_dir))[:12]
    folder = options.work_dir / "appset" / key / "recipes"
    shutil.copytree(options.recipes_dir, folder, dirs_exist_ok=True)
    return folder


def choose_recipe(
    requirement: Requirement, *, recipes_dir: Path, ours: Path, options: BuildOptions
) -> Chosen:
    """The recipe that builds a wheel ``requirement`` admits: ours, an earlier draft, or a new
    draft of the newest release it admits. ``ours``: the project's recipe folder."""
    name = canonicalize_name(requirement.name)
    recipes = load_recipes(recipes_dir)
    draft = recipes_dir / f"{name}.toml"
    if name in recipes and requirement.specifier.contains(recipes[name].version, prereleases=True):
        return Chosen(name=name, drafted=None if (ours / draft.name).exists() else draft)
    if name in recipes and (ours / draft.name).exists():
        msg = (
            f"{requirement} is asked for, but recipes/{name}.toml builds {name} "
            f"{recipes[name].version}: change the requirement or the recipe's version"
        )
        raise ConfigurationError(msg)
    version = newest_matching(name, str(requirement.specifier))
    drafted = draft_recipe(
        f"{name}=={version}",
        recipes_dir=recipes_dir,
        toolchain_dir=options.toolchain_dir,
        cache=options.cache,
        force=True,
    )
    if drafted.recipe is None:
        msg = (
            f"{name} {version} has no wheel pip can use and builds a pure one: build it with "
            f"'pip wheel --no-deps {name}=={version}' and add it with 'rvwheels merge'"
        )
        raise ConfigurationError(msg)
    return Chosen(name=name, drafted=drafted.recipe)
