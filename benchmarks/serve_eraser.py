"""Benchmark the photo eraser's server: seconds per request and the server's peak RSS.

Starts ``python -m rvwheels_runtime.serve`` as a child process for each model — the default
classical fill, and the NumPy big-lama with random weights (same architecture and cost as the
real one; the quality is meaningless) — sends ``POST /api/inpaint`` requests with a 512² and a
1920×1080 photo-like image whose mask is one object (an ellipse about a sixth of the width),
and reads the server's VmHWM from /proc at the end. ``--hostile`` measures instead what
hostile requests cost the default server: a fully masked 4096×4096 photo, ten 4096×4096 uploads
sent while the worker is busy (``--queue 0``), and 300 half-open connections.

    python benchmarks/serve_eraser.py [--repeats 2] [--threads N] [--skip-lama]
                                      [--strategy crop|original|resize] [--hostile]
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
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
    return proc_status(pid, "VmHWM") / 1024


def proc_status(pid: int, field: str) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(rf"{field}:\s+(\d+)", status)[1])


def send(url: str, fields: dict[str, bytes], timeout: float) -> tuple[str, float]:
    """POST /api/inpaint: (status or "no answer", seconds)."""
    body, content_type = multipart(fields)
    connection = http.client.HTTPConnection(url.removeprefix("http://"), timeout=timeout)
    started = time.perf_counter()
    try:
        connection.request("POST", "/api/inpaint", body, {"Content-Type": content_type})
        response = connection.getresponse()
        response.read()
        return str(response.status), time.perf_counter() - started
    except OSError:
        return "no answer", time.perf_counter() - started
    finally:
        connection.close()


def bench_hostile() -> None:
    print("hostile requests, classical server with --queue 0:")
    server, url = start_server(["--queue", "0"])
    try:
        big = np.zeros((4096, 4096, 3), np.uint8)
        full = {"image": encode_png(big), "mask": encode_png(np.full(big.shape[:2], 255, np.uint8))}
        status, seconds = send(url, full, timeout=30)
        print(
            f"  fully masked 4096×4096 ({len(multipart(full)[0]) / 1e3:.0f} kB): {status} "
            f"after {seconds:.1f} s; peak RSS {peak_rss_mb(server.pid):.0f} MB"
        )
        hole = np.full((1080, 1920), 255, np.uint8)  # the most one request may fill
        busy = {"image": encode_png(big[:1080, :1920]), "mask": encode_png(hole)}
        threading.Thread(target=send, args=(url, busy, 120), daemon=True).start()
        time.sleep(2)  # the worker is busy now (or still with the 4096² photo)
        dot = np.zeros(big.shape[:2], np.uint8)
        dot[:8, :8] = 255
        upload = {"image": full["image"], "mask": encode_png(dot)}
        before = proc_status(server.pid, "VmRSS")
        replies: list[tuple[str, float]] = []
        senders = [
            threading.Thread(target=lambda: replies.append(send(url, upload, 120)))
            for _ in range(10)
        ]
        peak = sample_rss(server.pid, senders)
        print(
            f"  10 uploads of 4096×4096 while busy: {sorted(r[0] for r in replies)}; "
            f"server RSS +{(peak - before) / 1024:.0f} MB at most"
        )
        print(f"  300 half-open connections: {half_open_threads(server.pid, url)} threads")
    finally:
        server.terminate()
        server.wait()


def sample_rss(pid: int, senders: list[threading.Thread]) -> int:
    """Start the senders and watch the server's VmRSS (kB) until they are done."""
    for thread in senders:
        thread.start()
    peak = 0
    while any(thread.is_alive() for thread in senders):
        peak = max(peak, proc_status(pid, "VmRSS"))
        time.sleep(0.02)
    return max(peak, proc_status(pid, "VmRSS"))


def half_open_threads(pid: int, url: str) -> int:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    sockets = []
    try:
        for _ in range(300):
            sock = socket.create_connection((host, int(port)), timeout=10)
            sock.sendall(b"GET / HTTP/1.1\r\n")
            sockets.append(sock)
        time.sleep(0.5)
        return proc_status(pid, "Threads")
    finally:
        for sock in sockets:
            sock.close()


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
    parser.add_argument("--hostile", action="store_true", help="only the hostile requests")
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    if args.hostile:
        bench_hostile()
        return
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
