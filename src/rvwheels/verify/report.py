"""verify's report: per-wheel results and the runtime's self-check, printed and as JSON."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

REPORT_VERSION = 1


@dataclass(kw_only=True)
class WheelResult:
    wheel: str
    ok: bool
    detail: str = ""


@dataclass(kw_only=True)
class Report:
    version: int = REPORT_VERSION
    environment: str = ""
    wheels: list[WheelResult] = field(default_factory=list)
    lama: dict[str, object] = field(default_factory=dict)
    lama_torch: dict[str, object] = field(default_factory=dict)  # when torch is installed
    blas: dict[str, object] = field(default_factory=dict)  # library, kernel set, threads
    bench: dict[str, object] = field(default_factory=dict)  # verify --bench: the benchmark

    @property
    def ok(self) -> bool:
        if self.bench:
            return bool(self.bench.get("version"))
        torch_ok = not self.lama_torch or bool(self.lama_torch.get("ok"))
        return all(w.ok for w in self.wheels) and bool(self.lama.get("ok")) and torch_ok


def print_report(report: Report, stream=sys.stdout) -> None:
    print(f"\nverify: {report.environment}", file=stream)
    if report.bench:
        print_bench(report.bench, stream)
        print(f"verify --bench: {'done' if report.ok else 'FAILED'}", file=stream)
        return
    for w in report.wheels:
        print(f"  {_status(w.ok)} {w.wheel}  {w.detail}", file=stream)
    blas = report.blas
    if blas.get("library"):
        print(
            f"  BLAS   {blas['library']}: {blas['core']} kernels, {blas['threads']} threads",
            file=stream,
        )
    lama = report.lama
    if "max_abs_diff" in lama:
        print(
            f"  {_status(lama['ok'])} LaMa {lama['model']}: "
            f"{lama['seconds']:.2f} s inference, max abs diff {lama['max_abs_diff']:.2e} "
            f"(tolerance {lama['tolerance']:.0e}), peak RSS {lama['peak_rss_mib']:.0f} MiB",
            file=stream,
        )
    else:
        print(f"  {_status(lama.get('ok'))} LaMa: {lama}", file=stream)
    torch = report.lama_torch
    if "max_abs_diff" in torch:
        print(
            f"  {_status(torch['ok'])} LaMa tiny on torch {torch['torch']}: "
            f"{torch['seconds']:.2f} s, max abs diff to NumPy {torch['max_abs_diff']:.2e}",
            file=stream,
        )
    elif torch:
        print(f"  FAILED LaMa tiny on torch: {torch}", file=stream)
    print(f"verify: {'passed' if report.ok else 'FAILED'}", file=stream)


def _status(ok: object) -> str:
    return "OK    " if ok else "FAILED"


def print_bench(bench: dict, stream) -> None:
    """The runtime's own table of its benchmark (rvwheels_runtime.bench)."""
    if not bench.get("version"):
        print(f"  FAILED bench: {bench.get('error', bench)}", file=stream)
        return
    for line in bench.get("table", ()):
        print(f"  {line}", file=stream)
