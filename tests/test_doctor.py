from __future__ import annotations

import pytest

from rvwheels.doctor import Check, run_checks
from rvwheels.options import resolve_options


def test_missing_roots_are_reported_with_the_fix(tmp_path):
    options = resolve_options(
        mode="cross",
        wheelhouse=None,
        jobs=1,
        recipes_dir=None,
        env={"RVWHEELS_CACHE": str(tmp_path)},
        machine="x86_64",
    )
    checks = {c.name: c for c in run_checks(options)}
    assert not checks["root cross"].ok and not checks["root target"].ok
    assert "rvwheels setup" in checks["root cross"].line()


def test_a_check_line_shows_the_fix_only_when_missing():
    assert "fix" not in Check(name="x", ok=True, detail="d", fix="do it").line()
    assert Check(name="x", ok=False, detail="d", fix="do it").line().endswith("→ fix: do it")


@pytest.mark.integration
def test_after_setup_every_cross_check_is_ok():
    options = resolve_options(mode="cross", wheelhouse=None, jobs=1, recipes_dir=None)
    failing = [c.line() for c in run_checks(options) if not c.ok]
    assert failing == []


def test_library_checks_come_from_the_recipes(tmp_path):
    from rvwheels.doctor import _libraries, _library_checks
    from rvwheels.environment.distro import Distro
    from rvwheels.environment.executor import HostExecutor
    from rvwheels.environment.pkgconfig import Layout
    from rvwheels.recipe.spec import LibrarySpec, RequiresSpec
    from tests.builder._jobs import recipe

    zlib = LibrarySpec(name="zlib", pkgconfig="zlib", lib="z", debian="zlib1g-dev")
    geos = LibrarySpec(name="GEOS", pkgconfig="geos", lib="geos_c", debian="libgeos-dev")
    recipes = {
        "pillow": recipe("pillow", requires=RequiresSpec(libraries=(zlib,))),
        "shapely": recipe("shapely", requires=RequiresSpec(libraries=(geos, zlib))),
    }
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "libz.so.1").write_text("")
    layout = Layout(pkgconfig_dirs=(), lib_dirs=(str(tmp_path / "lib"),), include_dirs=())
    debian = Distro(
        family="debian", pretty_name="Debian", install="apt-get install -y {packages}", packages={}
    )
    checks = {
        c.name: c
        for c in _library_checks(_libraries(recipes), HostExecutor(), layout, debian, "here")
    }
    assert checks["zlib"].ok and "(for pillow, shapely)" in checks["zlib"].detail
    assert not checks["GEOS"].ok and checks["GEOS"].fix == "apt-get install -y libgeos-dev"
