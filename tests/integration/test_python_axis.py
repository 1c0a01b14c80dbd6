"""`--python 3.11,3.13`: one wheel per version per recipe, from the toolchain's cross-built
CPython 3.11 and the roots' 3.13, and a riscv64 CPython 3.11 venv that installs the cp311 ones
from the wheelhouse index alone."""

from __future__ import annotations

import json
import zipfile

import pytest

from rvwheels.environment.executor import RootExecutor
from rvwheels.environment.pythons import ensure_cpython, load_python_spec
from rvwheels.environment.roots import load_root_spec, root_path
from rvwheels.options import resolve_options
from rvwheels.paths import cache_dir

from .conftest import EM_RISCV, FIXTURE_RECIPES, elf_machines, install_from_index, rvwheels

pytestmark = pytest.mark.integration

FIXTURES = ("rvw-meson-c", "rvw-setuptools-c", "rvw-fortran-blas")


@pytest.fixture(scope="module")
def two_python_wheelhouse(tmp_path_factory):
    wh = tmp_path_factory.mktemp("pythons") / "wheelhouse"
    result = rvwheels(
        "build",
        *FIXTURES,
        "--python",
        "3.11,3.13",
        "--recipes",
        str(FIXTURE_RECIPES),
        "--wheelhouse",
        str(wh),
        timeout=3600,
    )
    assert result.returncode == 0, result.stderr
    return wh


def test_each_recipe_gets_a_cp311_and_a_cp313_wheel(two_python_wheelhouse):
    wheels = sorted(p.name for p in two_python_wheelhouse.glob("*.whl"))
    for tag in ("cp311-cp311", "cp313-cp313"):
        mine = [w for w in wheels if f"-{tag}-manylinux_" in w]
        assert len(mine) == len(FIXTURES), wheels
    for wheel in two_python_wheelhouse.glob("*cp311*.whl"):
        assert elf_machines(wheel) == {EM_RISCV}
        names = zipfile.ZipFile(wheel).namelist()
        assert any(".cpython-311-riscv64-linux-gnu.so" in n for n in names), names
        record = json.loads((two_python_wheelhouse / "records" / f"{wheel.name}.json").read_text())
        assert record["python"].startswith("3.11.") and record["test"]["passed"] is True


def test_an_override_for_3_11_builds_that_wheel_emulated_in_a_cross_run(two_python_wheelhouse):
    modes = {
        wheel.name.split("-")[2]: json.loads(
            (two_python_wheelhouse / "records" / f"{wheel.name}.json").read_text()
        )["mode"]
        for wheel in two_python_wheelhouse.glob("rvw_setuptools_c-*.whl")
    }
    assert modes == {"cp311": "emulated", "cp313": "cross"}


def test_a_riscv64_python_3_11_venv_installs_them_from_the_index(two_python_wheelhouse, tmp_path):
    options = resolve_options(mode="cross", wheelhouse=None, jobs=1, recipes_dir=None)
    spec = load_python_spec("3.11", options.toolchain_dir)
    log = tmp_path / "python.log"
    target = ensure_cpython(spec, cache=options.cache, toolchain_dir=options.toolchain_dir, log=log)
    riscv = target.install("riscv64")
    ex = RootExecutor(
        root=root_path(load_root_spec("target"), cache_dir()),
        binds={tmp_path: "/rvw/work"},
        ro_binds={
            two_python_wheelhouse: "/rvw/wheelhouse",
            options.cache / "wheels" / "cp311-riscv64": "/rvw/cache",
            **riscv.binds(),
        },
    )
    out = install_from_index(
        ex,
        riscv.interpreter,
        FIXTURES,
        "import sys, rvw_fortran_blas as f, rvw_meson_c as m, rvw_setuptools_c as s;"
        "print('%d.%d' % sys.version_info[:2], f.machine(), m.machine(), s.machine())",
        # The bundled pip (22.3) sees no manylinux riscv64 tags; the build fetched a newer one.
        pip_from="/rvw/cache",
    )
    assert out.split() == ["3.11", "riscv64", "riscv64", "riscv64"]
