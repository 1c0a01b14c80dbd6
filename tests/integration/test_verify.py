"""`rvwheels verify` after `rvwheels build numpy`: a fresh riscv64 venv under qemu installs the
runtime and numpy from the wheelhouse index alone, runs numpy's recipe tests and the tiny LaMa.

numpy (and the OpenBLAS 0.3.34 it links) are the real packages built in the default integration
run (≈ 3 + 6 minutes on 2 cores): there is no other riscv64 numpy to run the runtime on. OpenBLAS
is its scalar variant here, a quarter of the run-time-choosing library's compile time; the
heavy test_c910v.py builds that one and proves its vector kernels."""

from __future__ import annotations

import json

import pytest

from .conftest import rvwheels

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def numpy_wheelhouse(tmp_path_factory):
    wh = tmp_path_factory.mktemp("numpy") / "wheelhouse"
    result = rvwheels(
        "build",
        "numpy",
        "--variant",
        "openblas=RISCV64_GENERIC",
        "--wheelhouse",
        str(wh),
        timeout=3600,
    )
    assert result.returncode == 0, result.stderr
    return wh


def test_verify_installs_from_the_index_and_runs_tiny_lama(numpy_wheelhouse):
    result = rvwheels("verify", "--wheelhouse", str(numpy_wheelhouse), timeout=3600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "verify: passed" in result.stdout
    report = json.loads((numpy_wheelhouse / "verify-report.json").read_text())
    assert report["version"] == 1 and report["ok"] is True
    names = {w["wheel"].split("-")[0]: w["ok"] for w in report["wheels"]}
    # numpy's build needs our OpenBLAS first; its wheel is in the wheelhouse and verified too.
    assert names == {"numpy": True, "openblas": True, "rvwheels_runtime": True}
    lama = report["lama"]
    assert lama["ok"] is True and lama["max_abs_diff"] <= lama["tolerance"] <= 1e-4
    assert lama["peak_rss_mib"] > 0


def test_verify_bench_runs_under_qemu_and_marks_its_numbers_emulated(numpy_wheelhouse):
    result = rvwheels(
        "verify",
        "--bench",
        "--bench-sizes",
        "64x64",
        "--wheelhouse",
        str(numpy_wheelhouse),
        timeout=3600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "bench on EMULATED: says nothing about hardware" in result.stdout
    bench = json.loads((numpy_wheelhouse / "verify-report.json").read_text())["bench"]
    assert bench["emulated"] is True and bench["sgemm_n"] == 512
    rows = {row["kernel_set"]: row for row in bench["sgemm"]}
    # This wheelhouse's OpenBLAS is the scalar variant: only its own kernel set runs.
    assert rows["riscv64_generic"]["available"] and rows["riscv64_generic"]["gflops"] > 0
    assert not rows["c910v"]["available"]
    (lama,) = bench["lama"]
    assert lama["seconds"] > 0


def test_verify_of_an_empty_wheelhouse_is_one_clear_line(tmp_path):
    result = rvwheels("verify", "--wheelhouse", str(tmp_path / "empty"))
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert result.last_line.startswith("error: ") and "rvwheels build numpy" in result.last_line
