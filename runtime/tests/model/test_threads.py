"""BLAS thread control through ctypes, and the FFT backend choice."""

from __future__ import annotations

import numpy as np
import pytest
from rvwheels_runtime.model import threads


def test_finds_numpys_openblas() -> None:
    blas = threads.find_blas()
    if blas is None:
        pytest.skip("numpy here is not linked to OpenBLAS")
    assert "blas" in blas.library.lower()
    assert blas.getter() >= 1
    assert blas.core  # OpenBLAS names the kernels it chose


def test_blas_threads_sets_and_restores() -> None:
    blas = threads.find_blas()
    if blas is None:
        pytest.skip("numpy here is not linked to OpenBLAS")
    before = blas.getter()
    with threads.blas_threads(1):
        assert blas.getter() == 1
        a = np.ones((64, 64), np.float32)
        assert (a @ a)[0, 0] == 64
    assert blas.getter() == before


def test_unknown_blas_leaves_threads_alone(monkeypatch) -> None:
    monkeypatch.setattr(threads, "find_blas", lambda: None)
    with threads.blas_threads(3) as blas:
        assert blas is None


@pytest.mark.parametrize("with_scipy", [True, False])
def test_fft_functions_round_trip_in_float32(with_scipy: bool, monkeypatch) -> None:
    if not with_scipy:
        import builtins

        real_import = builtins.__import__

        def no_scipy(name, *args, **kwargs):
            if name.startswith("scipy"):
                raise ImportError(name)
            return real_import(name, *args, **kwargs)

        monkeypatch.setattr(builtins, "__import__", no_scipy)
    else:
        pytest.importorskip("scipy")
    rfft2, irfft2, name = threads.fft_functions(2)
    assert name == ("scipy.fft" if with_scipy else "numpy.fft")
    x = np.random.default_rng(0).standard_normal((3, 6, 10)).astype(np.float32)
    spectrum = rfft2(x, norm="ortho")
    assert spectrum.dtype == np.complex64 and spectrum.shape == (3, 6, 6)
    back = irfft2(spectrum, s=(6, 10), norm="ortho")
    assert back.dtype == np.float32
    np.testing.assert_allclose(back, x, atol=1e-5)
