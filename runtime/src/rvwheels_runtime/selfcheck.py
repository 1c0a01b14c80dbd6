"""The runtime proves it works where it is installed: ``python -m rvwheels_runtime.selfcheck``.

It prints one JSON line (``"version": 1``), also written to ``--json FILE`` when given, and
exits 0 when every check passed, 1 when one failed:

- ``lama``: the bundled tiny LaMa on NumPy against the bundled x86_64 reference (proves numpy's
  BLAS and FFT give LaMa's numbers here), with the process's peak RSS; or, given ``--model``,
  ``--image`` and ``--mask``, a real inference with that model, timed;
- ``lama_torch`` (tiny check only, when torch imports): the torch backend's tiny LaMa against the
  NumPy backend's, both run here (proves a riscv64 torch computes LaMa's numbers).

``rvwheels verify`` runs it in a fresh riscv64 venv; it knows nothing of LaMa beyond this module.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import resource
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

REPORT_VERSION = 1


def self_check(
    *,
    threads: int | None = None,
    model: Path | None = None,
    image: Path | None = None,
    mask: Path | None = None,
) -> dict[str, object]:
    from rvwheels_runtime.model.threads import blas_report
    from rvwheels_runtime.tiny import run_tiny_check, run_tiny_torch_check

    report: dict[str, object] = {"version": REPORT_VERSION, "blas": blas_report(threads)}
    if model is None:
        lama = {"model": "tiny (seeded weights)", **run_tiny_check(threads=threads)}
        lama["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        report["lama"] = lama
        if importlib.util.find_spec("torch") is not None:
            report["lama_torch"] = run_tiny_torch_check(threads=threads)
    else:
        report["lama"] = real_inference(model, image, mask, threads=threads)
    report["ok"] = all(
        bool(part.get("ok")) for key, part in report.items() if key.startswith("lama")
    )
    return report


def real_inference(
    model: Path, image: Path | None, mask: Path | None, *, threads: int | None
) -> dict[str, object]:
    """``inpaint IMAGE MASK --model MODEL``, in this process, timed."""
    from rvwheels_runtime.cli import main as inpaint

    if image is None or mask is None:
        return {"model": str(model), "ok": False, "error": "--model needs --image and --mask"}
    with tempfile.TemporaryDirectory() as tmp:
        argv = [str(image), str(mask), "-o", f"{tmp}/out.png", "--model", str(model)]
        argv += ["--threads", str(threads)] if threads else []
        started = time.monotonic()
        code = _exit_code(inpaint, argv)
        seconds = round(time.monotonic() - started, 1)
    return {"model": str(model), "seconds": seconds, "ok": code == 0, "exit_code": code}


def _exit_code(command, argv: list[str]) -> int:
    """What ``command(argv)`` returns, or its SystemExit code (argparse exits on bad input)."""
    try:
        return int(command(argv) or 0)
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rvwheels_runtime.selfcheck")
    parser.add_argument("--threads", type=int, default=None, help="threads for inference")
    parser.add_argument("--model", type=Path, help="a real big-lama instead of the tiny one")
    parser.add_argument("--image", type=Path)
    parser.add_argument("--mask", type=Path)
    parser.add_argument("--json", type=Path, help="also write the report to this file")
    args = parser.parse_args(argv)
    report = self_check(threads=args.threads, model=args.model, image=args.image, mask=args.mask)
    text = json.dumps(report)
    print(text)
    if args.json is not None:
        args.json.write_text(text + "\n")
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
