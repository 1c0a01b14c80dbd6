"""Bad input that gets past recipe loading: one clear line, non-zero exit, the wheelhouse as it
was. (Errors caught before any build are in tests/test_cli.py.)"""

from __future__ import annotations

import hashlib
import shutil

import pytest

from rvwheels.paths import TOOLCHAIN_DIR
from rvwheels.wheelhouse import Wheelhouse

from .conftest import FIXTURE_RECIPES, rvwheels

pytestmark = pytest.mark.integration
MESON_C = FIXTURE_RECIPES / "packages" / "meson_c"


def assert_clean_failure(result, wheelhouse, before, *phrases):
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.last_line.startswith("error: ")
    for phrase in phrases:
        assert phrase in result.last_line
    assert Wheelhouse(wheelhouse).snapshot() == before


def write_recipe(directory, source_lines, extra=""):
    directory.mkdir(parents=True, exist_ok=True)
    text = (FIXTURE_RECIPES / "rvw-meson-c.toml").read_text()
    start = text.index("[source]")
    end = text.index("[", start + 1)
    body = text[:start] + "[source]\n" + source_lines + "\n" + extra + "\n" + text[end:]
    (directory / "rvw-meson-c.toml").write_text(body)
    return directory


def test_wrong_sha256(tmp_path, wheelhouse_copy):
    wh, before = wheelhouse_copy
    # Recipes may only name https URLs (http for Debian's archive), so the download is real:
    # a small file of Debian's archive, which no sha256 below matches.
    wrong = hashlib.sha256(b"not it").hexdigest()
    url = "https://deb.debian.org/debian/dists/trixie/Release"
    recipes = write_recipe(tmp_path / "r", f'url = "{url}"\nsha256 = "{wrong}"')
    result = rvwheels("build", "rvw-meson-c", "--recipes", str(recipes), "--wheelhouse", str(wh))
    assert_clean_failure(result, wh, before, "sha256 of Release is", wrong)


def test_patch_that_does_not_apply(tmp_path, wheelhouse_copy):
    wh, before = wheelhouse_copy
    recipes = tmp_path / "r"
    (recipes / "patches").mkdir(parents=True)
    (recipes / "patches" / "0001-stale.patch").write_text(
        "--- a/meson.build\n+++ b/meson.build\n@@ -1,2 +1,2 @@\n-this line is not there\n"
        "+nor this\n context that does not exist\n"
    )
    # The source folder must lie inside the recipe's folder: copy it there.
    shutil.copytree(MESON_C, recipes / "meson_c")
    write_recipe(recipes, 'path = "meson_c"\npatches = ["patches/0001-stale.patch"]')
    result = rvwheels("build", "rvw-meson-c", "--recipes", str(recipes), "--wheelhouse", str(wh))
    assert_clean_failure(result, wh, before, "patch 0001-stale.patch does not apply")


@pytest.mark.parametrize(
    ("role", "package", "kind"),
    [
        ("c", "rvw-meson-c", "C"),
        ("fortran", "rvw-fortran-blas", "Fortran"),
    ],
)
def test_missing_cross_compiler(tmp_path, wheelhouse_copy, role, package, kind):
    wh, before = wheelhouse_copy
    toolchain = tmp_path / "toolchain"
    shutil.copytree(TOOLCHAIN_DIR, toolchain)
    target = toolchain / "targets" / "riscv64-linux-gnu.toml"
    name = {"c": "riscv64-linux-gnu-gcc", "fortran": "riscv64-linux-gnu-gfortran"}[role]
    text = target.read_text().replace(f'{role} = "{name}"', f'{role} = "{name}-99"')
    target.write_text(text)
    result = rvwheels(
        "build",
        package,
        "--recipes",
        str(FIXTURE_RECIPES),
        "--wheelhouse",
        str(wh),
        env={"RVWHEELS_TOOLCHAIN": str(toolchain)},
    )
    assert_clean_failure(
        result, wh, before, f"needs a {kind} compiler", f"'{name}-99'", "rvwheels setup"
    )
