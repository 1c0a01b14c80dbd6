"""Benchmark the photo eraser's server: seconds per request and the server's peak RSS.

Starts ``python -m rvwheels_runtime.serve`` as a child process for each model — the default
classical fill, and the NumPy big-lama with random weights (same architecture and cost as the
real one; the quality is meaningless) — sends ``POST /api/inpaint`` requests with a 512² and a
1920×1080 photo-like image whose mask is one object (an ellipse about a sixth of the width),
and reads the server's VmHWM from /proc at the end.

    python benchmarks/serve_eraser.py [--repeats 2] [--threads N] [--skip-lama]
                                      [--strategy crop|original|resize]
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "runtime" / "src"))

from rvwheels_runtime.image import encode_png  # noqa: E402

SIZES = ((512, 512), (1080, 1920))
READY = re.compile(r"open (http://[^/\s]+)/")


def photo(height: int, width: int) -> np.ndarray:
    y, x = np.mgrid[0:height, 0:width] / max(height, width)
    smooth = np.stack([0.5 + 0.3 * np.sin(3 * x + 1), 0.5 + 0.3 * np.cos(4 * x * y), 0.3 + x * y])
    grain = np.random.default_rng(0).normal(0, 0.04, (3, height, width))
    return np.clip(np.rint((smooth + grain).transpose(1, 2, 0) * 255), 0, 255).astype(np.uint8)


def object_mask(height: int, width: int) -> np.ndarray:
    y, x = np.mgrid[0:height, 0:width]
    ry, rx = height / 9, width / 12
    inside = ((y - height / 2) / ry) ** 2 + ((x - width / 2) / rx) ** 2 <= 1
    return np.where(inside, 255, 0).astype(np.uint8)


def multipart(fields: dict[str, bytes]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{name}.png"'
        f"\r\nContent-Type: image/png\r\n\r\n".encode()
        + data
        + b"\r\n"
        for name, data in fields.items()
    )
    return body + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def start_server(extra: list[str]) -> tuple[subprocess.Popen, str]:
    command = [sys.executable, "-m", "rvwheels_runtime.serve", "--port", "0", "--quiet", *extra]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "runtime" / "src")}
    server = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=env)
    assert server.stderr is not None
    for line in server.stderr:
        if match := READY.search(line):
            print(f"  {line.strip()}")
            return server, match[1]
    raise RuntimeError(f"the server did not start (exit status {server.wait()})")


def timed_request(url: str, body: bytes, content_type: str) -> float:
    host = url.removeprefix("http://")
    connection = http.client.HTTPConnection(host, timeout=3600)
    started = time.perf_counter()
    connection.request("POST", "/api/inpaint", body, {"Content-Type": content_type})
    response = connection.getresponse()
    response.read()
    elapsed = time.perf_counter() - started
    connection.close()
    if response.status != 200:
        raise RuntimeError(f"the server answered {response.status}")
    return elapsed


def peak_rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status)[1]) / 1024


def bench(label: str, extra: list[str], repeats: int) -> None:
    print(f"{label}:")
    server, url = start_server(extra)
    try:
        for height, width in SIZES:
            mask = object_mask(height, width)
            body, content_type = multipart(
                {"image": encode_png(photo(height, width)), "mask": encode_png(mask)}
            )
            times = [timed_request(url, body, content_type) for _ in range(repeats)]
            shown = ", ".join(f"{t:.2f}" for t in times)
            print(
                f"  {width}×{height} (mask {np.count_nonzero(mask) / mask.size:.1%}): "
                f"best {min(times):.2f} s  [{shown}]"
            )
        print(f"  server peak RSS: {peak_rss_mb(server.pid):.0f} MB")
    finally:
        server.terminate()
        server.wait()


def random_lama(folder: Path) -> Path:
    from rvwheels_runtime.model import BIG_LAMA, random_weights
    from rvwheels_runtime.weights import save_npz

    return save_npz(random_weights(BIG_LAMA, seed=0), folder / "big-lama-random.npz")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--threads", type=int)
    parser.add_argument("--strategy", default="crop")
    parser.add_argument("--skip-lama", action="store_true")
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    bench("classical (default)", [], args.repeats)
    if args.skip_lama:
        return
    with tempfile.TemporaryDirectory() as folder:
        model = random_lama(Path(folder))
        threads = ["--threads", str(args.threads)] if args.threads else []
        options = ["--model", str(model), "--strategy", args.strategy, *threads]
        bench(f"big-lama, NumPy backend, random weights, {args.strategy}", options, args.repeats)


if __name__ == "__main__":
    main()
