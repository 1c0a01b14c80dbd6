"""Explicit thread control: OpenBLAS through ctypes, FFTs through scipy.fft's ``workers``.

numpy's wheels bundle OpenBLAS under a prefixed name (``libscipy_openblas64_-<hash>.so`` with
``scipy_openblas_set_num_threads64_``); distro builds link ``libopenblas.so.0`` or an OpenBLAS
``libblas.so.3``. The library is found among those already mapped into this process
(``/proc/self/maps``), so no environment variable has to be set before numpy is imported and
the count can change between calls. Without a known BLAS the thread count is left alone.
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

_SYMBOL_STEMS = (
    "scipy_openblas_{}_num_threads64_",
    "scipy_openblas_{}_num_threads",
    "openblas_{}_num_threads64_",
    "openblas_{}_num_threads",
)


@dataclass(frozen=True, kw_only=True)
class BlasThreads:
    """Setter and getter of one loaded BLAS library's thread count, and its kernel family."""

    library: str
    setter: Callable[[int], None]
    getter: Callable[[], int]
    core: str  # the kernels OpenBLAS chose for this CPU, e.g. "Haswell"; "" if unknown


def default_threads() -> int:
    """CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _mapped_blas_libraries() -> list[str]:
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        return []
    paths = {line.split(maxsplit=5)[-1] for line in maps.splitlines() if ".so" in line}
    return sorted(p for p in paths if "blas" in Path(p).name.lower() and p.startswith("/"))


@cache
def find_blas() -> BlasThreads | None:
    """The loaded OpenBLAS's thread control, or None if numpy uses another or none."""
    np.ones((2, 2)) @ np.ones((2, 2))  # make sure numpy's BLAS is loaded
    for path in _mapped_blas_libraries():
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for stem in _SYMBOL_STEMS:
            setter = getattr(lib, stem.format("set"), None)
            getter = getattr(lib, stem.format("get"), None)
            if setter is not None and getter is not None:
                setter.argtypes, setter.restype = [ctypes.c_int], None
                getter.argtypes, getter.restype = [], ctypes.c_int
                core = _core_name(lib, stem.replace("{}_num_threads", "get_corename"))
                return BlasThreads(library=path, setter=setter, getter=getter, core=core)
    return None


def _core_name(lib: ctypes.CDLL, symbol: str) -> str:
    function = getattr(lib, symbol, None)
    if function is None:
        return ""
    function.argtypes, function.restype = [], ctypes.c_char_p
    return (function() or b"").decode(errors="replace")


@contextmanager
def blas_threads(count: int) -> Iterator[BlasThreads | None]:
    """Run the block with BLAS using ``count`` threads, then restore the previous count."""
    blas = find_blas()
    if blas is None:
        yield None
        return
    previous = blas.getter()
    blas.setter(count)
    try:
        yield blas
    finally:
        blas.setter(previous)


def blas_report(threads: int | None = None) -> dict[str, object]:
    """What BLAS this process runs: library, the kernel set OpenBLAS chose for this CPU
    (on a TH1520 "c910v" when its vector unit works, "riscv64_generic" when it does not), and
    the threads inference gives it."""
    blas = find_blas()
    if blas is None:
        return {"library": "", "core": "", "threads": 0}
    return {
        "library": Path(blas.library).name,
        "core": blas.core,
        "threads": threads or default_threads(),
    }


def blas_summary(threads: int | None = None) -> str:
    """One line for progress output: "BLAS: OpenBLAS c910v kernels, 4 threads"."""
    report = blas_report(threads)
    if not report["library"]:
        return "BLAS: no OpenBLAS found (numpy's own)"
    return f"BLAS: OpenBLAS {report['core'] or 'unknown'} kernels, {report['threads']} threads"


FFT = Callable[..., np.ndarray]


def fft_functions(threads: int) -> tuple[FFT, FFT, str]:
    """(rfft2, irfft2, backend name); scipy.fft with ``workers=threads`` when importable."""
    try:
        import scipy.fft as sfft
    except ImportError:
        return np.fft.rfft2, np.fft.irfft2, "numpy.fft"

    def rfft2(x: np.ndarray, *, norm: str) -> np.ndarray:
        return sfft.rfft2(x, norm=norm, workers=threads)

    def irfft2(x: np.ndarray, *, s: tuple[int, int], norm: str) -> np.ndarray:
        return sfft.irfft2(x, s=s, norm=norm, workers=threads)

    return rfft2, irfft2, "scipy.fft"
