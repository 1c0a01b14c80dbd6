from __future__ import annotations

from pathlib import Path

import pytest
from packaging.requirements import Requirement

from rvwheels.appset import recipes
from rvwheels.drafting.command import Drafted
from rvwheels.errors import ConfigurationError
from rvwheels.options import resolve_options

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "recipes"


@pytest.fixture
def options(tmp_path):
    return resolve_options(
        mode="cross",
        wheelhouse=tmp_path / "wh",
        jobs=1,
        recipes_dir=FIXTURES,
        env={"RVWHEELS_CACHE": str(tmp_path / "cache")},
        machine="x86_64",
    )


@pytest.fixture
def work(options) -> Path:
    return recipes.work_recipes(options)


def test_the_work_folder_holds_a_copy_of_our_recipes(options, work):
    assert (work / "rvw-meson-c.toml").read_text() == (FIXTURES / "rvw-meson-c.toml").read_text()
    assert work != FIXTURES and work.is_relative_to(options.cache)


def test_our_recipe_builds_a_requirement_it_satisfies(options, work):
    chosen = recipes.choose_recipe(
        Requirement("rvw_meson_c>=1"), recipes_dir=work, ours=FIXTURES, options=options
    )
    assert chosen == recipes.Chosen(name="rvw-meson-c", drafted=None)


def test_a_requirement_our_recipe_does_not_satisfy_says_which_to_change(options, work):
    with pytest.raises(ConfigurationError, match=r"rvw-meson-c.toml builds rvw-meson-c 1\.0\.0"):
        recipes.choose_recipe(
            Requirement("rvw-meson-c>=2"), recipes_dir=work, ours=FIXTURES, options=options
        )


def test_a_project_without_a_recipe_is_drafted_into_the_work_folder(monkeypatch, options, work):
    asked = []

    def draft(spec, *, recipes_dir, **_):
        asked.append(spec)
        path = recipes_dir / "psutil.toml"
        return Drafted(name="psutil", version="7.2.2", recipe=path, notes=())

    monkeypatch.setattr(recipes, "newest_matching", lambda name, spec: "7.2.2")
    monkeypatch.setattr(recipes, "draft_recipe", draft)
    chosen = recipes.choose_recipe(
        Requirement("psutil>=7"), recipes_dir=work, ours=FIXTURES, options=options
    )
    assert asked == ["psutil==7.2.2"]
    assert chosen == recipes.Chosen(name="psutil", drafted=work / "psutil.toml")


def test_a_pure_project_pip_found_no_wheel_of_says_how_to_add_it(monkeypatch, options, work):
    monkeypatch.setattr(recipes, "newest_matching", lambda name, spec: "1.0")
    monkeypatch.setattr(
        recipes,
        "draft_recipe",
        lambda spec, **_: Drafted(name="puresdist", version="1.0", recipe=None, notes=()),
    )
    with pytest.raises(ConfigurationError, match="pip wheel --no-deps puresdist==1.0"):
        recipes.choose_recipe(
            Requirement("puresdist"), recipes_dir=work, ours=FIXTURES, options=options
        )
