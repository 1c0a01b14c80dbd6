"""Checks on the repository's recipes that the loader cannot make, but that would otherwise
surface only minutes into a build: {target_site} without host recipes, inline test programs, and
the Debian roots providing every library a recipe needs. (Unknown placeholders fail at load.)"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator

import pytest

from rvwheels.paths import RECIPES_DIR, TOOLCHAIN_DIR
from rvwheels.recipe.loader import load_recipes
from rvwheels.recipe.placeholders import placeholders_in
from rvwheels.recipe.spec import Recipe

RECIPES = load_recipes(RECIPES_DIR)


def placeholder_values(recipe: Recipe) -> Iterator[tuple[str, str]]:
    """(where, text) for every string that the builder expands."""
    for key, value in recipe.cross.properties.items():
        for text in value if isinstance(value, tuple) else (value,):
            if isinstance(text, str):
                yield f"cross.properties.{key}", text
    for key, values in recipe.build.config_settings.items():
        for text in values:
            yield f"build.config-settings.{key}", text
    for key, text in recipe.build.env.items():
        yield f"build.env.{key}", text


def used_placeholders(text: str) -> set[str]:
    return set(placeholders_in(text))


def inline_programs() -> Iterator[tuple[str, str]]:
    for name, recipe in sorted(RECIPES.items()):
        for number, command in enumerate(recipe.test.commands):
            for flag, program in zip(command, command[1:], strict=False):
                if flag == "-c":
                    yield f"{name}[{number}]", program


def root_packages(name: str) -> set[str]:
    data = tomllib.loads((TOOLCHAIN_DIR / "roots" / f"{name}.toml").read_text(encoding="utf-8"))
    return set(data["packages"])


def debian_libraries() -> Iterator[tuple[str, str]]:
    """The Debian packages of the libraries a recipe needs that its own [requires.system]
    does not bring into its build root: the mode's root must have those."""
    for name, recipe in sorted(RECIPES.items()):
        for library in recipe.requires.libraries_from_mode_root():
            if library.debian:
                yield name, library.debian


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_target_site_is_used_only_with_recipe_dependencies(name: str) -> None:
    # {target_site} holds the unpacked wheels of requires.host; without any it is empty.
    recipe = RECIPES[name]
    texts = placeholder_values(recipe)
    users = [where for where, text in texts if "target_site" in used_placeholders(text)]
    assert recipe.requires.host or not users, f"{name}: {users} need requires.host"


@pytest.mark.parametrize(
    ("where", "program"), [pytest.param(w, p, id=w) for w, p in inline_programs()]
)
def test_inline_test_programs_compile(where: str, program: str) -> None:
    compile(program, where, "exec")


@pytest.mark.parametrize(("recipe", "package"), list(debian_libraries()))
def test_the_cross_root_has_the_riscv64_library(recipe: str, package: str) -> None:
    assert f"{package}:riscv64" in root_packages("cross"), (
        f"{recipe} needs {package}: add '{package}:riscv64' to toolchain/roots/cross.toml"
    )


@pytest.mark.parametrize(("recipe", "package"), list(debian_libraries()))
def test_the_emulated_build_root_has_the_library(recipe: str, package: str) -> None:
    assert package in root_packages("target-dev"), (
        f"{recipe} needs {package}: add it to toolchain/roots/target-dev.toml"
    )
