"""Read ``recipes/<name>.toml`` into a validated ``Recipe``; each mistake is a one-line RecipeError.

The format is documented in recipes/FORMAT.md. ``DOCUMENT`` (derived from the typed spec)
checks keys, types, values and the rules inside one table; this module applies the
``[[overrides]]`` and the rules that span tables or touch the file system (rvwheels.recipe.files).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from rvwheels.errors import ConfigurationError, RecipeError
from rvwheels.recipe.files import recipe_digest, recipe_folder, resolve_source
from rvwheels.recipe.schema import DOCUMENT, RECIPE
from rvwheels.recipe.spec import AdoptSpec, Recipe
from rvwheels.schema import KeyPath, did_you_mean, parse_toml, read_limited, show
from rvwheels.schema.checks import project_name


def load_recipe(path: Path, python: str | None = None) -> Recipe:
    """Read and validate one recipe file, as Python ``python`` ("3.11") sees it when given.

    The recipe is made for every Python an override names too, so a mistake in any override
    shows before a build needs it. Raises RecipeError naming the file, key and fix.
    """
    data = read_limited(path, RecipeError, what="the recipe")
    at = KeyPath(path, RecipeError)
    document = DOCUMENT.check(parse_toml(data, path, RecipeError), at)
    named = tuple(
        dict.fromkeys(
            version for entry in document.get("overrides", ()) for version in entry["pythons"]
        )
    )
    recipes = {
        version: _recipe_from(
            *_for_python(document, version, at), path=path, data=data, named=named
        )
        for version in dict.fromkeys([python, *named])
    }
    return recipes[python]


def load_recipes(directory: Path, python: str | None = None) -> dict[str, Recipe]:
    """Every ``*.toml`` recipe in ``directory`` (as ``python`` sees it), by normalised name."""
    _require_directory(directory)
    recipes = (load_recipe(path, python) for path in sorted(directory.glob("*.toml")))
    return {recipe.name: recipe for recipe in recipes}


def find_recipe(name: str, directory: Path, python: str | None = None) -> Recipe:
    """The recipe for ``name`` (any spelling PEP 503 normalises to it) from ``directory``."""
    _require_directory(directory)
    if project_name(name) is not None:
        msg = f"{show(name)} is not a package name; name a recipe (see 'rvwheels list')"
        raise ConfigurationError(msg)
    wanted = canonicalize_name(name)
    path = directory / f"{wanted}.toml"
    if path.is_file():
        return load_recipe(path, python)
    known = sorted(candidate.stem for candidate in directory.glob("*.toml"))
    hint = did_you_mean(wanted, known) or f"known recipes: {', '.join(known) or 'none'}"
    msg = f"no recipe for {show(name)} in {directory}; {hint}"
    raise ConfigurationError(msg)


def _require_directory(directory: Path) -> None:
    if not directory.is_dir():
        msg = f"recipe directory {directory} does not exist; pass an existing directory"
        raise ConfigurationError(msg)


def _for_python(
    document: Mapping[str, Any], python: str | None, at: KeyPath
) -> tuple[dict[str, Any], dict[str, KeyPath]]:
    """The tables that apply to ``python`` and where each was written: each [[overrides]]
    entry naming it replaces the tables it gives, whole (later entries win), as cibuildwheel's
    overrides do."""
    tables = {key: value for key, value in document.items() if key != "overrides"}
    where = {key.name: at.child(key.name) for key in RECIPE.keys}
    for i, override in enumerate(document.get("overrides", ())):
        if python in override["pythons"]:
            for key, value in override.items():
                if key != "pythons":
                    tables[key] = value
                    where[key] = at.child("overrides").item(i).child(key)
    return tables, where


def _recipe_from(
    tables: Mapping[str, Any],
    where: Mapping[str, KeyPath],
    *,
    path: Path,
    data: bytes,
    named: tuple[str, ...],
) -> Recipe:
    fields = RECIPE.fields(tables)
    source = resolve_source(fields["source"], recipe_folder(path), where["source"])
    fields.update(
        name=_check_file_name(fields["name"], path, where["package"]),
        source=source,
        adopt=_adopt_spec(fields, where),
    )
    return Recipe(
        **fields,
        path=path.resolve(),
        digest=recipe_digest(data, source.patches),
        override_pythons=named,
    )


def _check_file_name(written: str, path: Path, at: KeyPath) -> str:
    """``at`` is where [package] was written."""
    name = canonicalize_name(written)
    if path.stem != name:
        normalised = f" (normalised: {show(name)})" if name != written else ""
        problem = f"{show(written)}{normalised} does not match the file name {path.name}"
        fix = f"rename the file to {name}.toml or fix the name"
        raise at.child("name").error(problem=problem, fix=fix)
    return name


def _adopt_spec(fields: Mapping[str, Any], where: Mapping[str, KeyPath]) -> AdoptSpec | None:
    is_adopt = fields["build"].backend == "adopt"
    adopt = fields.get("adopt")
    if adopt is not None and not is_adopt:
        problem, fix = 'only applies to build.backend = "adopt"', "remove [adopt]"
        raise where["adopt"].error(problem=problem, fix=fix)
    if not is_adopt:
        return None
    adopt = adopt or AdoptSpec()
    if fields["source"].filename.endswith(".deb") and not adopt.packages:
        raise where["build"].error(
            problem="adopting a .deb needs adopt.packages, the top-level Python packages to take",
            fix=f'add packages = ["{fields["name"]}"] to [adopt]',
        )
    return adopt
