"""Benchmark the NumPy big-lama generator against the PyTorch reference.

One run prints: NumPy and torch seconds at 512² (best of --repeats, runs interleaved so machine
load hits both alike), their ratio, the max abs difference of the outputs, and the NumPy
generator's peak RSS at 1920×1080 measured in a child process. Same random big-lama weights
and the same thread count (default 2) for both.

    python benchmarks/runtime_lama.py [--threads 2] [--size 512] [--repeats 3] [--no-rss]

OpenBLAS picks its kernels when numpy loads it; on CPUs it does not know (e.g. AMD Zen 5 in
OpenBLAS 0.3.31) it falls back to Haswell's AVX2 ones. ``OPENBLAS_CORETYPE=SkylakeX`` in the
environment selects the AVX-512 kernels on such a CPU; the chosen kernels are printed.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "runtime" / "src"))
sys.path.insert(0, str(ROOT / "runtime" / "tests"))

from rvwheels_runtime.model import BIG_LAMA, LamaGenerator, random_weights  # noqa: E402
from rvwheels_runtime.model.threads import find_blas  # noqa: E402


def _input(height: int, width: int) -> np.ndarray:
    rng = np.random.default_rng(1)
    image = rng.uniform(0, 1, (3, height, width)).astype(np.float32)
    mask = np.zeros((1, height, width), np.float32)
    mask[:, height // 4 : height // 2, width // 3 : 2 * width // 3] = 1
    return np.concatenate([image * (1 - mask), mask])


def _timed(run, x: np.ndarray) -> tuple[float, np.ndarray]:
    start = time.perf_counter()
    y = run(x)
    return time.perf_counter() - start, y


def compare_speed(threads: int, size: int, repeats: int) -> None:
    import torch
    from torch_lama import run_torch, torch_lama_from_weights

    torch.set_num_threads(threads)
    weights = random_weights(BIG_LAMA, seed=0)
    numpy_model = LamaGenerator(weights, threads=threads)
    torch_model = torch_lama_from_weights(weights)
    x = _input(size, size)
    numpy_model(x), run_torch(torch_model, x)  # warm up both
    numpy_times, torch_times = [], []
    for _ in range(repeats):
        seconds, y_numpy = _timed(numpy_model, x)
        numpy_times.append(seconds)
        seconds, y_torch = _timed(lambda v: run_torch(torch_model, v), x)
        torch_times.append(seconds)
    best_numpy, best_torch = min(numpy_times), min(torch_times)
    print(
        f"threads={threads} size={size}x{size} fft={numpy_model.fft_backend} "
        f"torch={torch.__version__} numpy={np.__version__}"
    )
    print(f"numpy  s: best {best_numpy:.2f}  all {' '.join(f'{t:.2f}' for t in numpy_times)}")
    print(f"torch  s: best {best_torch:.2f}  all {' '.join(f'{t:.2f}' for t in torch_times)}")
    print(f"ratio numpy/torch (best): {best_numpy / best_torch:.2f}")
    print(f"max abs diff vs torch: {np.abs(y_numpy - y_torch).max():.2e}")


def child_peak_rss(threads: int, height: int, width: int) -> None:
    args = [sys.executable, __file__, "--child", f"{height}x{width}", "--threads", str(threads)]
    result = subprocess.run(args, check=True, capture_output=True, text=True)
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(f"numpy {height}x{width}: {result.stdout.strip()}, peak RSS {peak_kib / 2**20:.2f} GiB")


def run_child(threads: int, shape: str) -> None:
    height, width = (int(v) for v in shape.split("x"))
    model = LamaGenerator(random_weights(BIG_LAMA, seed=0), threads=threads)
    x = _input(height, width)
    seconds, _ = _timed(model, x)
    print(f"{seconds:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rss-shape", default="1080x1920", help="HxW for the peak-RSS run")
    parser.add_argument("--no-rss", action="store_true")
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_child(args.threads, args.child)
        return
    print(f"load average: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    blas = find_blas()
    print(f"BLAS: {blas.library if blas else 'not OpenBLAS'} core={blas.core if blas else '?'}")
    if not args.no_torch:
        compare_speed(args.threads, args.size, args.repeats)
    if not args.no_rss:
        height, width = (int(v) for v in args.rss_shape.split("x"))
        child_peak_rss(args.threads, height, width)


if __name__ == "__main__":
    main()
