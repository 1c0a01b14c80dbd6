"""How fast LaMa's building blocks run here: ``python -m rvwheels_runtime.bench``.

- sgemm GFLOP/s (n=512, float32, through numpy's OpenBLAS) for each kernel set OpenBLAS can be
  told to use (``OPENBLAS_CORETYPE``, read when the library loads: one child process each). A
  set this CPU cannot run is reported as not available (OpenBLAS falls back to another, or the
  child dies of SIGILL);
- big-lama's seconds (random weights, the real architecture) at 512×512 and 605×908.

Prints a table and one JSON line (``--json FILE`` writes it too). ``--emulated`` marks the
numbers as measured under an emulator: they say nothing about real hardware. On the RVBook:
``rvwheels verify --bench`` runs this in a venv of the wheelhouse.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

REPORT_VERSION = 1
KERNEL_SETS = ("riscv64_generic", "c910v", "riscv64_zvl128b", "riscv64_zvl256b")
SGEMM_N = 512
LAMA_SIZES = ((512, 512), (605, 908))


def sgemm_gflops(n: int = SGEMM_N, *, seconds: float = 1.0) -> tuple[float, str]:
    """GFLOP/s of an n×n float32 product (repeated for at least ``seconds``), and the kernel set
    OpenBLAS runs it with."""
    from rvwheels_runtime.model.threads import find_blas

    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, n, n), dtype=np.float32)
    a @ b  # the first call loads and warms the library
    runs, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds or runs == 0:
        a @ b
        runs += 1
    blas = find_blas()
    return 2 * n**3 * runs / elapsed / 1e9, "" if blas is None else blas.core


def kernel_set_row(core: str, n: int) -> dict[str, object]:
    """sgemm with OpenBLAS told to use ``core``, in a child process."""
    code = (
        "import json; from rvwheels_runtime.bench import sgemm_gflops; "
        f"print(json.dumps(sgemm_gflops({n})))"
    )
    env = {**os.environ, "OPENBLAS_CORETYPE": core, "OPENBLAS_NUM_THREADS": "1"}
    child = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    if child.returncode != 0:
        reason = "SIGILL: not this CPU" if child.returncode in (-4, 132) else "failed"
        return {
            "kernel_set": core,
            "available": False,
            "note": f"{reason} (exit {child.returncode})",
        }
    gflops, got = json.loads(child.stdout.strip().splitlines()[-1])
    if got.lower() != core:
        return {"kernel_set": core, "available": False, "note": f"OpenBLAS chose {got} here"}
    return {"kernel_set": core, "available": True, "gflops": round(gflops, 3)}


def lama_seconds(size: tuple[int, int], *, threads: int | None) -> dict[str, object]:
    """big-lama (random weights) inpainting a centred hole in a ``size`` = (height, width) image."""
    from rvwheels_runtime.backends import get_backend
    from rvwheels_runtime.model.config import LamaConfig
    from rvwheels_runtime.model.layout import random_weights

    height, width = size
    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    mask = np.zeros((height, width), dtype=np.uint8)
    mask[height // 4 : 3 * height // 4, width // 4 : 3 * width // 4] = 255
    backend = get_backend("numpy", random_weights(LamaConfig()), threads)
    started = time.perf_counter()
    backend.inpaint(image, mask)
    return {"size": f"{width}x{height}", "seconds": round(time.perf_counter() - started, 2)}


def run_bench(
    *, threads: int | None, sizes: Sequence[tuple[int, int]], emulated: bool, n: int = SGEMM_N
) -> dict[str, object]:
    from rvwheels_runtime.model.threads import blas_report

    return {
        "version": REPORT_VERSION,
        "emulated": emulated,
        "blas": blas_report(threads),
        "sgemm_n": n,
        "sgemm": [kernel_set_row(core, n) for core in KERNEL_SETS],
        "lama": [lama_seconds(size, threads=threads) for size in sizes],
    }


def table(report: dict) -> list[str]:
    """The report for people, one line each (``rvwheels verify --bench`` prints these too)."""
    where = "EMULATED: says nothing about hardware" if report["emulated"] else "this machine"
    lines = [f"bench on {where}; default BLAS: {report['blas']}"]
    for row in report["sgemm"]:
        value = f"{row['gflops']:.2f} GFLOP/s" if row["available"] else row["note"]
        lines.append(f"  sgemm n={report['sgemm_n']} {row['kernel_set']:<18} {value}")
    for row in report["lama"]:
        lines.append(f"  big-lama {row['size']:<10} {row['seconds']:.1f} s")
    return lines


def _size(text: str) -> tuple[int, int]:
    width, _, height = text.partition("x")
    try:
        return int(height), int(width)
    except ValueError:
        msg = f"'{text}' is not WIDTHxHEIGHT, e.g. 512x512"
        raise argparse.ArgumentTypeError(msg) from None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rvwheels_runtime.bench")
    parser.add_argument("--threads", type=int, default=None, help="threads for LaMa")
    parser.add_argument("--sizes", type=_size, nargs="+", help="WIDTHxHEIGHT images for LaMa")
    parser.add_argument("--sgemm-n", type=int, default=SGEMM_N, help="sgemm matrix size")
    parser.add_argument("--emulated", action="store_true", help="mark the numbers as emulated")
    parser.add_argument("--json", type=Path, help="also write the report to this file")
    args = parser.parse_args(argv)
    sizes = args.sizes or [(h, w) for h, w in LAMA_SIZES]
    report = run_bench(threads=args.threads, sizes=sizes, emulated=args.emulated, n=args.sgemm_n)
    report["table"] = table(report)
    print("\n".join(report["table"]))
    text = json.dumps(report)
    print(text)
    if args.json is not None:
        args.json.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
