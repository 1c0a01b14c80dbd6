"""The package reads as the pipeline: import-linter's layers contract (pyproject.toml) holds,
and it really catches a module importing from a later stage."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(project: Path, src: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(project / "pyproject.toml"), "--no-cache"],
        cwd=project,
        env={**os.environ, "PYTHONPATH": str(src)},
        capture_output=True,
        text=True,
        check=False,
    )


def test_no_module_imports_from_a_later_stage():
    result = lint_imports(PROJECT, PROJECT / "src")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def test_every_top_level_module_has_a_stage():
    config = tomllib.loads((PROJECT / "pyproject.toml").read_text())
    (contract,) = config["tool"]["importlinter"]["contracts"]
    staged = {name.strip() for layer in contract["layers"] for name in layer.split(":")}
    package = PROJECT / "src" / "rvwheels"
    modules = {p.stem for p in package.glob("*.py")} | {
        p.parent.name for p in package.glob("*/__init__.py")
    }
    assert modules - {"__init__", "__main__"} == staged


def test_an_upward_import_breaks_the_contract(tmp_path):
    shutil.copytree(PROJECT / "src" / "rvwheels", tmp_path / "src" / "rvwheels")
    shutil.copy(PROJECT / "pyproject.toml", tmp_path / "pyproject.toml")
    spec = tmp_path / "src" / "rvwheels" / "recipe" / "spec.py"
    spec.write_text(spec.read_text() + "\nfrom rvwheels.wheelhouse import Wheelhouse  # noqa\n")
    result = lint_imports(tmp_path, tmp_path / "src")
    assert result.returncode != 0
    assert "0 kept, 1 broken" in result.stdout
    assert "rvwheels.recipe.spec -> rvwheels.wheelhouse" in result.stdout
