"""The runtime's own checks that `rvwheels verify` runs: the self-check and the benchmark."""

from __future__ import annotations

import json

from rvwheels_runtime import bench, selfcheck


def test_the_self_check_passes_here_and_names_its_blas(tmp_path):
    assert selfcheck.main(["--threads", "1", "--json", str(tmp_path / "r.json")]) == 0
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["version"] == 1 and report["ok"] is True
    assert report["lama"]["max_abs_diff"] <= report["lama"]["tolerance"]
    assert set(report["blas"]) == {"library", "core", "threads"}


def test_a_real_model_needs_an_image_and_a_mask(tmp_path):
    report = selfcheck.self_check(threads=1, model=tmp_path / "big-lama.pt")
    assert report["ok"] is False and "--model needs --image and --mask" in report["lama"]["error"]


def test_the_benchmark_says_which_kernel_sets_this_cpu_cannot_run(tmp_path):
    report = bench.run_bench(threads=1, sizes=[(24, 32)], emulated=True, n=32)
    assert [row["kernel_set"] for row in report["sgemm"]] == list(bench.KERNEL_SETS)
    # This x86_64 machine's OpenBLAS has no riscv64 kernel set: every one is "not available".
    assert all(not row["available"] and row["note"] for row in report["sgemm"])
    (lama,) = report["lama"]
    assert lama["size"] == "32x24" and lama["seconds"] > 0
    lines = bench.table(report)
    assert lines[0].startswith("bench on EMULATED") and "big-lama 32x24" in lines[-1]
