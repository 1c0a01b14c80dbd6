"""The resolved plan: recipes read once per target Python, host and run kept apart, modes,
variants and Python pins decided before anything is built."""

from __future__ import annotations

from pathlib import Path

import pytest

from rvwheels.errors import ConfigurationError
from rvwheels.options import resolve_options
from rvwheels.pipeline.plan import resolve_plan


def _write(folder: Path, name: str, extra: str = "", backend: str = "setuptools") -> None:
    (folder / "src").mkdir(exist_ok=True)
    (folder / f"{name}.toml").write_text(
        f'[package]\nname = "{name}"\nversion = "1.0"\n\n[source]\npath = "src"\n\n'
        f'[build]\nbackend = "{backend}"\n{extra}\n[test]\nimports = []\n'
    )


@pytest.fixture
def recipes(tmp_path) -> Path:
    folder = tmp_path / "recipes"
    folder.mkdir()
    _write(folder, "base")
    _write(folder, "lib", '\n[requires]\nhost = ["base"]\n')
    _write(folder, "app", '\n[requires]\nhost = ["lib"]\nrun = ["base>=1", "networkx"]\n')
    _write(folder, "old", 'pythons = ["3.11"]\n')
    _write(folder, "slow", 'modes = ["emulated"]\n')
    _write(
        folder,
        "blas",
        '[build.make]\npackage = "blas"\n'
        "[build.variants.GENERIC]\nmake-args = []\n[build.variants.C910V]\nmake-args = []\n",
        backend="make",
    )
    return folder


def _options(recipes: Path, **kwargs):
    return resolve_options(
        mode=kwargs.pop("mode", "cross"), wheelhouse=None, jobs=1, recipes_dir=recipes, **kwargs
    )


def test_entries_come_in_build_order_with_host_and_run_apart(recipes):
    plan = resolve_plan(_options(recipes), ["app"], python="3.13")
    assert plan.order == ["base", "lib", "app"]
    app = plan.entry("app")
    assert app.host == ("lib",) and app.run == ("base",)
    assert app.needs == ("lib", "base")
    assert plan.own_projects == {"base", "lib", "app", "old", "slow", "blas"}


def test_python_pins_and_mode_fallback_are_decided_in_the_plan(recipes):
    plan = resolve_plan(_options(recipes), ["old", "slow"], python="3.13")
    assert plan.entry("old").skip == "not for Python 3.13 (its recipe supports 3.11)"
    assert plan.entry("slow").mode == "emulated" and plan.entry("slow").skip == ""
    assert resolve_plan(_options(recipes), ["old"], python="3.11").entry("old").skip == ""


def test_variants_are_checked_against_the_recipe(recipes):
    plan = resolve_plan(_options(recipes, variants=("blas=C910V",)), ["blas"], python="3.13")
    assert plan.entry("blas").variant == "C910V"
    assert resolve_plan(_options(recipes), ["blas"], python="3.13").entry("blas").variant == (
        "GENERIC"
    )
    with pytest.raises(ConfigurationError) as caught:
        resolve_plan(_options(recipes, variants=("blas=C910",)), ["blas"], python="3.13")
    assert caught.value.message == (
        "--variant blas=C910: no such variant; did you mean 'C910V'? variants: GENERIC, C910V"
    )


def test_all_and_nothing(recipes):
    plan = resolve_plan(_options(recipes), [], python="3.13", all_recipes=True)
    assert set(plan.order) == {"base", "lib", "app", "old", "slow", "blas"}
    with pytest.raises(ConfigurationError, match="name at least one package"):
        resolve_plan(_options(recipes), [], python="3.13")
