"""Hostile recipes (issue 10): each one gives the one-line error; none is accepted, none ends in
a traceback. The inputs come from the generators in _hostile.py."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from rvwheels.errors import ConfigurationError, RecipeError
from rvwheels.paths import PROJECT_ROOT, RECIPES_DIR
from rvwheels.recipe.graph import check_override_graphs
from rvwheels.recipe.loader import load_recipe, load_recipes

from ._hostile import MAKE, Case, dumps, misspelled_keys, replaced, writer, wrong_types
from ._hostile_findings import findings

CASES = [*misspelled_keys(), *wrong_types(), *findings()]


def test_there_are_at_least_150_distinct_hostile_recipes() -> None:
    assert len({case.id for case in CASES}) == len(CASES) >= 150


def test_the_bases_the_cases_start_from_are_valid(tmp_path: Path) -> None:
    from ._hostile import BASES

    for name, base in BASES.items():
        folder = tmp_path / name
        folder.mkdir()
        assert load_recipe(writer(base)(folder)).name == "hostile"


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_a_hostile_recipe_is_refused_with_one_line(case: Case, tmp_path: Path) -> None:
    path = case.write(tmp_path)
    with pytest.raises(RecipeError) as caught:
        load_recipe(path)  # any other exception fails the test: a traceback for the user
    message = caught.value.message
    assert message.startswith(f"{path}: "), message
    for fragment in (case.expect,) if isinstance(case.expect, str) else case.expect:
        assert fragment in message, message
    assert "\n" not in message and "\r" not in message and len(message) < 2000, message


def rvwheels(*args: str) -> subprocess.CompletedProcess:
    src = PROJECT_ROOT / "src"
    env = {**os.environ, "PYTHONPATH": f"{src}:{PROJECT_ROOT / 'runtime' / 'src'}"}
    return subprocess.run(
        [sys.executable, "-m", "rvwheels", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


CLI_CASES = [
    "TOML: arrays nested 5,000 deep",
    "version: 4,301-digit part",
    "url: bad IPv6 host",
    "patch: a symlink to /etc/passwd",
    "name: long s (ſcipy)",
    "patch: a 1 TB sparse file",
]


@pytest.mark.parametrize("case_id", CLI_CASES)
def test_the_cli_prints_one_line_and_exits_3(case_id: str, tmp_path: Path) -> None:
    case = next(case for case in CASES if case.id == case_id)
    case.write(tmp_path)
    proc = rvwheels("show", "hostile", "--recipes", str(tmp_path))
    assert proc.returncode == RecipeError.exit_code, proc.stderr
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("error: "), proc.stderr
    assert proc.stdout == ""


def cyclic_only_in_an_override(folder: Path) -> None:
    """a requires b only for Python 3.13, and b requires a: the plain graph has no cycle."""
    a = {**replaced(MAKE, ("package", "name"), "a")}
    a["overrides"] = [{"pythons": ["3.13"], "requires": {"host": ["b"]}}]
    b = {**replaced(MAKE, ("package", "name"), "b"), "requires": {"host": ["a"]}}
    (folder / "a.toml").write_text(dumps(a))
    (folder / "b.toml").write_text(dumps(b))


def test_a_cycle_that_only_an_override_makes_is_reported(tmp_path: Path) -> None:
    cyclic_only_in_an_override(tmp_path)
    recipes = load_recipes(tmp_path)
    assert recipes["a"].override_pythons == ("3.13",)
    with pytest.raises(RecipeError) as caught:
        check_override_graphs(recipes, tmp_path)
    message = caught.value.message
    assert "dependency cycle in requires for Python 3.13" in message, message
    assert "a -> b -> a" in message or "b -> a -> b" in message, message


def test_an_unknown_recipe_that_only_an_override_names_is_reported(tmp_path: Path) -> None:
    a = replaced(MAKE, ("package", "name"), "a")
    a["overrides"] = [{"pythons": ["3.13"], "requires": {"host": ["nothere"]}}]
    (tmp_path / "a.toml").write_text(dumps(a))
    with pytest.raises(ConfigurationError, match='requires.host: no recipe named "nothere"'):
        check_override_graphs(load_recipes(tmp_path), tmp_path)


def test_graphs_without_overrides_pass(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text(dumps(replaced(MAKE, ("package", "name"), "a")))
    check_override_graphs(load_recipes(tmp_path), tmp_path)


def test_plan_reports_a_cycle_with_one_line(tmp_path: Path) -> None:
    for name, other in (("a", "b"), ("b", "a")):
        recipe = replaced(MAKE, ("package", "name"), name)
        (tmp_path / f"{name}.toml").write_text(dumps({**recipe, "requires": {"host": [other]}}))
    proc = rvwheels("plan", "--all", "--recipes", str(tmp_path))
    assert proc.returncode == RecipeError.exit_code, proc.stderr
    assert proc.stderr.count("\n") == 1 and "dependency cycle" in proc.stderr, proc.stderr


def test_find_recipe_refuses_a_name_that_is_a_path(tmp_path: Path) -> None:
    proc = rvwheels("show", "/etc/passwd", "--recipes", str(tmp_path))
    assert proc.returncode == ConfigurationError.exit_code, proc.stderr
    assert proc.stderr.count("\n") == 1 and "is not a package name" in proc.stderr


def mutations(text: str, rng: random.Random) -> Iterator[tuple[str, str]]:
    """(what, text) for random small edits of a recipe: the kind a careless hand makes."""
    lines = text.splitlines(keepends=True)
    for _ in range(12):
        i, j = rng.randrange(len(lines)), rng.randrange(len(text) + 1)
        yield f"drop line {i + 1}", "".join(lines[:i] + lines[i + 1 :])
        yield f"repeat line {i + 1}", "".join(lines[: i + 1] + lines[i:])
        yield f"cut at {j}", text[:j]
        yield f"insert {text[j - 1 : j]!r} at {j}", text[:j] + text[j - 1 : j] + text[j:]
        yield f"bracket at {j}", text[:j] + rng.choice("[]{}\"'=#\\") + text[j:]


def test_randomly_edited_recipes_load_or_fail_with_one_line(tmp_path: Path) -> None:
    """Not all of these are wrong, so they do not count among the hostile recipes above; none
    may end in anything but a Recipe or a one-line RecipeError."""
    rng = random.Random(10)
    shutil.copytree(RECIPES_DIR, tmp_path / "recipes")
    tried = 0
    for original in sorted((tmp_path / "recipes").glob("*.toml")):
        text = original.read_text(encoding="utf-8")
        for what, edited in mutations(text, rng):
            original.write_text(edited, encoding="utf-8")
            try:
                load_recipe(original)
            except RecipeError as error:
                assert "\n" not in error.message, f"{original.name}, {what}: {error.message}"
            tried += 1
        original.write_text(text, encoding="utf-8")
    assert tried >= 400
