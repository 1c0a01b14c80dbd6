from __future__ import annotations

from pathlib import Path

import pytest

from rvwheels.errors import ConfigurationError, RecipeError
from rvwheels.recipe.graph import build_order, dependency_closure
from rvwheels.recipe.spec import BuildSpec, Recipe, RequiresSpec, SourceSpec

DIR = Path("/recipes")


def recipes(**deps: tuple[str, ...]) -> dict[str, Recipe]:
    """Recipes named after the keywords (underscores become dashes), each with its deps."""
    made = {}
    for key, requires in deps.items():
        name = key.replace("_", "-")
        made[name] = Recipe(
            name=name,
            version="1.0",
            source=SourceSpec(path=DIR / name),
            build=BuildSpec(backend="setuptools"),
            requires=RequiresSpec(host=requires),
            path=DIR / f"{name}.toml",
            digest="0" * 64,
        )
    return made


DIAMOND = recipes(app=("left", "right"), left=("base",), right=("base",), base=(), other=())


def test_closure_holds_requested_and_transitive_deps_only() -> None:
    assert dependency_closure(["app"], DIAMOND) == {
        "app": ("left", "right"),
        "left": ("base",),
        "right": ("base",),
        "base": (),
    }


def test_build_order_puts_every_dependency_first() -> None:
    order = build_order(["app"], DIAMOND)
    assert sorted(order) == ["app", "base", "left", "right"]
    position = {name: i for i, name in enumerate(order)}
    for name, deps in dependency_closure(["app"], DIAMOND).items():
        assert all(position[dep] < position[name] for dep in deps), order


def test_requested_names_are_normalised_and_deduplicated() -> None:
    graph = recipes(meson_python=(), scikit_image=("meson-python",))
    assert build_order(["Scikit_Image", "scikit-image", "MESON.python"], graph) == [
        "meson-python",
        "scikit-image",
    ]


def test_unknown_requested_names_are_all_reported_with_suggestions() -> None:
    with pytest.raises(ConfigurationError) as caught:
        build_order(["lft", "app", "zzz"], DIAMOND)
    message = caught.value.message
    assert "\n" not in message
    assert "no recipe named \"lft\"; did you mean 'left'?" in message
    assert 'no recipe named "zzz"; known recipes: app, base, left, other, right' in message


def test_unknown_dependency_names_the_recipe_file_and_key() -> None:
    graph = recipes(app=("bsae",), base=())
    with pytest.raises(ConfigurationError) as caught:
        dependency_closure(["app"], graph)
    assert caught.value.message == (
        f"{DIR / 'app.toml'}: requires.host: no recipe named \"bsae\"; did you mean 'base'?"
    )


def test_cycle_is_named_in_requires_order() -> None:
    graph = recipes(a=("b",), b=("c",), c=("a",), d=("a",))
    with pytest.raises(RecipeError) as caught:
        build_order(["d"], graph)
    message = caught.value.message
    chain = message.split("dependency cycle in requires: ")[1].split(" (")[0]
    names = chain.split(" -> ")
    assert names[0] == names[-1] and sorted(names[:-1]) == ["a", "b", "c"]
    for first, second in zip(names, names[1:], strict=False):
        assert second in graph[first].requires.host, message
    assert str(DIR / "a.toml") in message and "\n" not in message


def test_self_dependency_is_a_cycle() -> None:
    with pytest.raises(RecipeError, match=r"a -> a"):
        build_order(["a"], recipes(a=("a",)))
