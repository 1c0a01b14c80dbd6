"""Emulated mode: the whole build inside the riscv64 root under qemu-user."""

from __future__ import annotations

import json

import pytest

from .conftest import EM_RISCV, FIXTURE_RECIPES, elf_machines, rvwheels

pytestmark = pytest.mark.integration


def test_emulated_build_of_the_fortran_fixture(tmp_path):
    wh = tmp_path / "wheelhouse"
    result = rvwheels(
        "build",
        "rvw-fortran-blas",
        "--mode",
        "emulated",
        "--recipes",
        str(FIXTURE_RECIPES),
        "--wheelhouse",
        str(wh),
    )
    assert result.returncode == 0, result.stderr
    (wheel,) = wh.glob("rvw_fortran_blas-1.0.0-cp313-cp313-manylinux_2_*_riscv64.whl")
    assert elf_machines(wheel) == {EM_RISCV}
    record = json.loads((wh / "records" / f"{wheel.name}.json").read_text())
    assert record["mode"] == "emulated" and record["test"]["passed"] is True
    assert record["compilers"]["c"].startswith("gcc")
