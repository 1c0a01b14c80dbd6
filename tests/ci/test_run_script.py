"""ci/run-riscv64.sh: the CI pipeline on one machine."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rvwheels.wheelhouse import Wheelhouse

from ._ci_files import RUN_SCRIPT
from .conftest import BASE, DEPENDENT

BUILD_TIMEOUT = 1800


def run_script(*args: str, env: dict[str, str] | None = None, timeout: float = 60):
    return subprocess.run(
        [str(RUN_SCRIPT), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        check=False,
    )


def test_script_is_executable_bash_with_strict_mode():
    assert os.access(RUN_SCRIPT, os.X_OK)
    text = RUN_SCRIPT.read_text()
    assert text.startswith("#!/usr/bin/env bash\n")
    assert "\nset -euo pipefail\n" in text
    syntax = subprocess.run(["bash", "-n", str(RUN_SCRIPT)], capture_output=True, text=True)
    assert syntax.returncode == 0, syntax.stderr


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck is not installed")
def test_script_is_shellcheck_clean():
    result = subprocess.run(
        ["shellcheck", str(RUN_SCRIPT)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout


def test_help_prints_the_usage():
    result = run_script("--help")
    assert result.returncode == 0
    assert result.stdout.startswith("usage: ci/run-riscv64.sh [--no-setup] [--no-verify]")


@pytest.mark.parametrize(
    ("args", "expected"),
    [(["--bogus"], "unknown option --bogus"), (["--mode"], "--mode needs a value")],
)
def test_bad_arguments_fail_with_one_line_before_any_work(args, expected):
    result = run_script(*args)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("run-riscv64: error: ")
    assert expected in result.stderr


def _index_links(wheelhouse: Path, project: str) -> str:
    return (wheelhouse / "simple" / project / "index.html").read_text()


@pytest.mark.integration
def test_script_makes_the_wheels_a_direct_build_makes(two_level_recipes, tmp_path):
    env = {
        "RECIPES_DIR": str(two_level_recipes),
        "WHEELHOUSE": str(tmp_path / "ci-wheelhouse"),
        "RVWHEELS": f"{sys.executable} -m rvwheels",
    }
    # --no-verify: verify installs the LaMa runtime, which needs numpy; fixtures have none.
    ci = run_script("--no-setup", "--no-verify", BASE, DEPENDENT, env=env, timeout=BUILD_TIMEOUT)
    assert ci.returncode == 0, ci.stdout[-3000:] + ci.stderr[-3000:]
    phases = re.findall(r"^::: (.+): (\d+) s$", ci.stdout, flags=re.MULTILINE)
    assert [name for name, _ in phases] == [
        "doctor",
        "plan",
        f"build level 0 {BASE}",
        f"build level 1 {DEPENDENT}",
        "build",
        "merge",
    ]
    assert "verify: skipped (--no-verify)" in ci.stdout
    # Level 1 reuses level 0's merged wheel: its record's build key still matches.
    assert f"{BASE}: up to date — " in ci.stderr

    direct_wh = tmp_path / "direct-wheelhouse"
    direct = subprocess.run(
        [
            sys.executable,
            "-m",
            "rvwheels",
            "build",
            BASE,
            DEPENDENT,
            "--recipes",
            str(two_level_recipes),
            "--wheelhouse",
            str(direct_wh),
        ],
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT,
        check=False,
    )
    assert direct.returncode == 0, direct.stderr[-3000:]

    ci_wheels = Wheelhouse(tmp_path / "ci-wheelhouse").wheels()
    assert [w.name for w in ci_wheels] == [w.name for w in Wheelhouse(direct_wh).wheels()]
    assert len(ci_wheels) == 2
    for wheel in ci_wheels:  # merged with its record and in the one index
        record = Wheelhouse(wheel.parent).record(wheel.name)
        assert record is not None, wheel.name
        assert f"{wheel.name}#sha256={record['sha256']}" in _index_links(
            wheel.parent, record["name"]
        )
    assert "simple/index.html" in Wheelhouse(tmp_path / "ci-wheelhouse").snapshot()
