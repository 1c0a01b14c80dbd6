"""The CLI's fast paths: listing recipes and rejecting bad input before any build starts."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

FIXTURE_RECIPES = Path(__file__).parent / "fixtures" / "recipes"


def rvwheels(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "rvwheels", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
    )


def assert_one_line_error(proc, *phrases):
    assert proc.returncode not in (0, 1), proc.stderr  # a specific exit code, not a crash
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: ")
    for phrase in phrases:
        assert phrase in lines[0]


def test_list_shows_every_recipe():
    proc = rvwheels("list", "--recipes", str(FIXTURE_RECIPES))
    assert proc.returncode == 0
    names = [line.split()[0] for line in proc.stdout.splitlines()]
    assert names == [
        "rvw-cmake-cxx",
        "rvw-fortran-blas",
        "rvw-meson-c",
        "rvw-pyo3-rust",
        "rvw-setuptools-c",
        "rvw-xtheadvector",
    ]
    assert "fortran" in proc.stdout.splitlines()[1]


def test_show_prints_the_resolved_recipe():
    proc = rvwheels("show", "rvw-fortran-blas", "--recipes", str(FIXTURE_RECIPES))
    assert proc.returncode == 0 and '"fortran": true' in proc.stdout


def test_unknown_package_suggests_a_name(tmp_path):
    wh = tmp_path / "wh"
    proc = rvwheels(
        "build", "rvw-meson", "--recipes", str(FIXTURE_RECIPES), "--wheelhouse", str(wh)
    )
    assert_one_line_error(proc, "rvw-meson", "did you mean")
    assert not wh.exists()


def test_unknown_recipe_key_names_file_and_key(tmp_path):
    shutil.copytree(FIXTURE_RECIPES.parent, tmp_path / "fixtures")
    recipes = tmp_path / "fixtures" / "recipes"
    path = recipes / "rvw-meson-c.toml"
    path.write_text(path.read_text().replace("[build]", "[build]\nfortan = true", 1))
    wh = tmp_path / "wh"
    wh.mkdir()
    (wh / "keep.whl").write_text("untouched")
    proc = rvwheels("build", "rvw-meson-c", "--recipes", str(recipes), "--wheelhouse", str(wh))
    assert_one_line_error(proc, str(path), "build.fortan", "did you mean 'fortran'")
    assert [p.name for p in wh.iterdir()] == ["keep.whl"]


def test_no_package_named():
    assert_one_line_error(rvwheels("build", "--recipes", str(FIXTURE_RECIPES)), "--all")


def test_build_r_of_a_missing_file_is_one_clear_line(tmp_path):
    proc = rvwheels("build", "-r", str(tmp_path / "nope.txt"), "--wheelhouse", str(tmp_path))
    assert_one_line_error(proc, "nope.txt", "no such requirements file")


def test_build_r_takes_no_package_names_beside_it(tmp_path):
    requirements = tmp_path / "app.txt"
    requirements.write_text("six\n")
    proc = rvwheels("build", "numpy", "-r", str(requirements), "--wheelhouse", str(tmp_path))
    assert_one_line_error(proc, "-r builds a requirements file")
