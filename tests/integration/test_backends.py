"""The scikit-build-core (CMake, C++) and maturin (Rust, PyO3) backends cross-build their
fixtures: a riscv64 wheel each, repaired, whose recipe test computes under qemu in the clean
target root; then both install from the index alone and compute. (The C++ one links the
target's zlib, which manylinux lets a wheel take from the system: repair bundles nothing.)"""

from __future__ import annotations

import json

import pytest

from .conftest import EM_RISCV, build_fixtures, clean_target_root, elf_machines, install_from_index

pytestmark = pytest.mark.integration

FIXTURES = {"rvw-cmake-cxx": "rvw_cmake_cxx", "rvw-pyo3-rust": "rvw_pyo3_rust"}


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory):
    return build_fixtures(tmp_path_factory, "backends", FIXTURES)


@pytest.mark.parametrize("project", FIXTURES.values())
def test_each_backend_makes_a_repaired_tested_riscv64_wheel(wheelhouse, project):
    (wheel,) = wheelhouse.glob(f"{project}-1.0.0-*.whl")
    assert wheel.name.endswith("_riscv64.whl") and "manylinux_2_" in wheel.name
    assert elf_machines(wheel) == {EM_RISCV}
    record = json.loads((wheelhouse / "records" / f"{wheel.name}.json").read_text())
    assert record["mode"] == "cross" and record["test"]["passed"] is True
    assert record["tag"] in record["auditwheel_show"]


def test_both_install_from_the_index_and_compute(wheelhouse, tmp_path):
    ex = clean_target_root(wheelhouse, tmp_path)
    out = install_from_index(
        ex,
        "python3",
        FIXTURES,
        "import zlib, rvw_cmake_cxx as c, rvw_pyo3_rust as r;"
        "print(c.crc(b'riscv') == zlib.crc32(b'riscv'), r.sum_squares(3), r.arch())",
    )
    assert out.split() == ["True", "14", "riscv64"]
