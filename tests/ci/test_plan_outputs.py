"""ci/plan_outputs.py: `rvwheels plan --json` into GitHub job outputs and per-level lines."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from ._ci_files import PLAN_OUTPUTS
from .conftest import BASE, DEPENDENT


def plan_outputs(*args: str, stdin: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(PLAN_OUTPUTS), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def rvwheels_plan(recipes) -> str:
    argv = [sys.executable, "-m", "rvwheels", "plan", "--all", "--json", "--recipes", str(recipes)]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_github_outputs_of_a_real_two_level_plan(two_level_recipes):
    result = plan_outputs("--github", "3", stdin=rvwheels_plan(two_level_recipes))
    assert result.returncode == 0, result.stderr
    outputs = dict(line.split("=", 1) for line in result.stdout.splitlines())
    assert outputs.keys() == {"count", "level0", "level1", "level2"}
    assert outputs["count"] == "2"
    assert json.loads(outputs["level0"]) == [BASE]
    assert json.loads(outputs["level1"]) == [DEPENDENT]
    assert json.loads(outputs["level2"]) == []


def test_lines_of_a_real_two_level_plan(two_level_recipes):
    result = plan_outputs("--lines", stdin=rvwheels_plan(two_level_recipes))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [BASE, DEPENDENT]


def test_packages_of_one_level_share_a_line():
    plan = json.dumps({"version": 1, "levels": [["a", "b"], ["c"]]})
    assert plan_outputs("--lines", stdin=plan).stdout.splitlines() == ["a b", "c"]


@pytest.mark.parametrize(
    ("args", "stdin", "expected"),
    [
        (["--github", "2"], '{"version": 1, "levels": [["a"], ["b"], ["c"]]}', "add level-2"),
        (["--github", "0"], '{"version": 1, "levels": [["a"]]}', "at least one level job"),
        (["--lines"], '{"version": 2, "levels": [["a"]]}', "plan format 2 is not 1"),
        (["--lines"], '{"version": 1, "levels": [[]]}', "not a list of lists"),
        (["--lines"], '{"version": 1, "levels": [["a b"]]}', "not a list of lists"),
        (["--lines"], "[1]", "plan format 'list' is not 1"),
        (["--lines"], "error: no recipe named numpyy", "not JSON"),
    ],
)
def test_bad_plans_are_refused_with_one_line(args, stdin, expected):
    result = plan_outputs(*args, stdin=stdin)
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("error: ")
    assert expected in result.stderr
