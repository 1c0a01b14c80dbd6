"""Cross mode on the three fixture packages: build, repair, test, publish, install from index."""

from __future__ import annotations

import json

import pytest

from rvwheels.environment.executor import RootExecutor
from rvwheels.environment.roots import load_root_spec, root_path
from rvwheels.paths import cache_dir

from .conftest import (
    EM_RISCV,
    FIXTURE_RECIPES,
    clean_target_root,
    elf_machines,
    install_from_index,
    rvwheels,
)

pytestmark = pytest.mark.integration

FIXTURES = {
    "rvw-meson-c": "rvw_meson_c",
    "rvw-setuptools-c": "rvw_setuptools_c",
    "rvw-fortran-blas": "rvw_fortran_blas",
}


@pytest.fixture(scope="module")
def cross_wheelhouse(tmp_path_factory):
    wh = tmp_path_factory.mktemp("cross") / "wheelhouse"
    result = rvwheels(
        "build",
        *FIXTURES,
        "--jobs",
        "2",
        "--recipes",
        str(FIXTURE_RECIPES),
        "--wheelhouse",
        str(wh),
    )
    assert result.returncode == 0, result.stderr
    return wh


def test_each_fixture_becomes_a_repaired_tested_riscv64_wheel(cross_wheelhouse):
    wheels = sorted(cross_wheelhouse.glob("*.whl"))
    assert len(wheels) == 3
    for wheel in wheels:
        assert "-cp313-cp313-manylinux_2_" in wheel.name and wheel.name.endswith("_riscv64.whl")
        assert elf_machines(wheel) == {EM_RISCV}
        record = json.loads((cross_wheelhouse / "records" / f"{wheel.name}.json").read_text())
        assert record["mode"] == "cross" and record["test"]["passed"] is True
        assert "riscv64" in record["auditwheel_show"]
        assert record["tag"] in record["auditwheel_show"]


def test_fortran_fixture_bundles_openblas_and_libgfortran(cross_wheelhouse):
    import zipfile

    (wheel,) = cross_wheelhouse.glob("rvw_fortran_blas-*.whl")
    libs = [n for n in zipfile.ZipFile(wheel).namelist() if n.startswith("rvw_fortran_blas.libs/")]
    assert any("libopenblas" in n for n in libs) and any("libgfortran" in n for n in libs)


def test_clean_root_installs_from_the_index_alone_and_computes(cross_wheelhouse, tmp_path):
    ex = clean_target_root(cross_wheelhouse, tmp_path)
    out = install_from_index(
        ex,
        "python3",
        FIXTURES,
        "import rvw_fortran_blas as f, rvw_meson_c as m, rvw_setuptools_c as s;"
        "print(f.machine(), m.machine(), s.machine(), f.quadform([[1,2],[3,4]],[1,2]))",
    )
    assert out.split() == ["riscv64", "riscv64", "riscv64", "27.0"]


def test_a_repeated_build_is_a_no_op(cross_wheelhouse):
    before = sorted(p.name for p in cross_wheelhouse.glob("*.whl"))
    result = rvwheels(
        "build", *FIXTURES, "--recipes", str(FIXTURE_RECIPES), "--wheelhouse", str(cross_wheelhouse)
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.count(": up to date") == len(FIXTURES)
    assert sorted(p.name for p in cross_wheelhouse.glob("*.whl")) == before


def _ccache_hits() -> int:
    root = root_path(load_root_spec("cross"), cache_dir())
    work = cache_dir() / "work"
    ex = RootExecutor(root=root, binds={work: "/rvw/work"})
    stats = ex.run(
        ["ccache", "--print-stats"],
        env={"CCACHE_DIR": "/rvw/work/.ccache/cross"},
        capture=True,
    )
    counts = dict(line.split("\t", 1) for line in stats.splitlines() if "\t" in line)
    return int(counts.get("direct_cache_hit", 0)) + int(counts.get("preprocessed_cache_hit", 0))


def test_a_forced_rebuild_compiles_from_the_compiler_cache(cross_wheelhouse):
    before = _ccache_hits()
    result = rvwheels(
        "build",
        "rvw-meson-c",
        "--force",
        "--no-test",
        "--recipes",
        str(FIXTURE_RECIPES),
        "--wheelhouse",
        str(cross_wheelhouse),
    )
    assert result.returncode == 0, result.stderr
    assert _ccache_hits() > before
