"""Compute a fixed set of scipy and scikit-image results and save them in one .npz file.

    python stack_probe.py OUT.npz [--seed N]

Run by test_stack_equality.py twice: in a riscv64 venv under qemu with our wheels, and in an
x86_64 venv with PyPI's wheels of the same versions; the test compares the two files. Inputs
are fixed (a seeded NumPy generator, skimage's camera image), and stored too, so a difference
in them is told apart from a difference in what is computed from them.

Eigenvectors and singular vectors are unique only up to sign, and QR only up to the signs of
R's diagonal: they are stored in a normal form (see _fix_signs) so the two runs can be compared
element by element. Standalone on purpose: it runs where rvwheels is not installed.
"""

from __future__ import annotations

import argparse
import platform

import numpy as np

SEED = 20261121


def linalg_results(rng: np.random.Generator) -> dict[str, np.ndarray]:
    from scipy import linalg

    n = 8
    # Diagonally weighted so the condition numbers stay small (below 10): what differs between
    # two correct LAPACKs is then rounding, a few eps, and not amplified rounding.
    a = rng.standard_normal((n, n)) + n * np.eye(n)
    # The same rows in another order: as well conditioned, but LU has to pivot.
    shuffled = a[rng.permutation(n)]
    b = rng.standard_normal((n, 3))
    sym = a + a.T
    spd = a @ a.T + n * np.eye(n)
    rect = rng.standard_normal((10, 6))
    p, lower, upper = linalg.lu(shuffled)
    q, r = linalg.qr(a)
    signs = np.where(np.diag(r) < 0, -1.0, 1.0)
    w, v = linalg.eigh(sym)
    u, s, vt = linalg.svd(rect, full_matrices=False)
    flip = _column_signs(u)
    c, low = linalg.cho_factor(spd)
    return {
        "input.linalg.a": a,
        "input.linalg.shuffled": shuffled,
        "input.linalg.b": b,
        "input.linalg.rect": rect,
        "linalg.solve": linalg.solve(shuffled, b),
        "linalg.lu.p": p,
        "linalg.lu.l": lower,
        "linalg.lu.u": upper,
        "linalg.qr.q": q * signs,
        "linalg.qr.r": r * signs[:, None],
        "linalg.eigh.w": np.sort(w),
        "linalg.eigh.v": _fix_signs(v[:, np.argsort(w)]),
        "linalg.svd.s": s,
        "linalg.svd.u": u * flip,
        "linalg.svd.vt": vt * flip[:, None],
        "linalg.expm": linalg.expm(a / n),
        # cho_factor leaves the other triangle as it found it: only c's own triangle is a result.
        "linalg.cho_factor": np.tril(c) if low else np.triu(c),
        "linalg.cho_solve": linalg.cho_solve((c, low), b),
    }


def fft_results(rng: np.random.Generator) -> dict[str, np.ndarray]:
    from scipy import fft

    # 97 is prime and 6 * 10 mixes radices: other pocketfft code paths than powers of two.
    x = rng.standard_normal(97) + 1j * rng.standard_normal(97)
    plane = rng.standard_normal((16, 24))
    signal = rng.standard_normal(50)
    volume = rng.standard_normal((8, 6, 10)) + 1j * rng.standard_normal((8, 6, 10))
    return {
        "input.fft.x": x,
        "input.fft.plane": plane,
        "input.fft.signal": signal,
        "input.fft.volume": volume,
        "fft.fft": fft.fft(x),
        "fft.rfft2": fft.rfft2(plane),
        "fft.dct": fft.dct(signal, type=2, norm="ortho"),
        "fft.fftn": fft.fftn(volume),
    }


def restoration_results(rng: np.random.Generator) -> dict[str, np.ndarray]:
    from scipy.signal import convolve2d
    from skimage import data, restoration

    # skimage reads camera.png through imageio and Pillow: the pixels check our Pillow too.
    camera = data.camera()[::8, ::8]
    image = camera / 255.0
    noisy = np.clip(image + rng.normal(0, 0.08, image.shape), 0, 1)
    psf = np.outer(*2 * [np.array([1.0, 4.0, 6.0, 4.0, 1.0])]) / 256.0
    blurred = convolve2d(image, psf, mode="same", boundary="symm")
    rows, cols = np.mgrid[-1:1:64j, -1:1:64j]
    phase = 14.0 * (rows**2 + 0.6 * cols**2) + 3.0 * rows
    wrapped = np.angle(np.exp(1j * phase))
    mask = np.zeros(image.shape, dtype=bool)
    mask[20:27, 30:38] = mask[45:49, 10:18] = True
    return {
        "input.skimage.camera": camera,
        "input.skimage.noisy": noisy,
        # eps=0: a fixed number of iterations, not a stop test that rounding could move.
        "skimage.denoise_tv_chambolle": restoration.denoise_tv_chambolle(
            noisy, weight=0.1, eps=0.0, max_num_iter=60
        ),
        "skimage.denoise_bilateral": restoration.denoise_bilateral(
            noisy, sigma_color=0.1, sigma_spatial=1.5
        ),
        "skimage.denoise_nl_means.fast": restoration.denoise_nl_means(
            noisy, h=0.06, patch_size=5, patch_distance=4, fast_mode=True
        ),
        "skimage.denoise_nl_means.slow": restoration.denoise_nl_means(
            noisy, h=0.06, patch_size=5, patch_distance=4, fast_mode=False
        ),
        "skimage.richardson_lucy": restoration.richardson_lucy(blurred, psf, num_iter=10),
        "skimage.unwrap_phase": restoration.unwrap_phase(wrapped),
        "skimage.inpaint_biharmonic": restoration.inpaint_biharmonic(image, mask),
    }


def _column_signs(m: np.ndarray) -> np.ndarray:
    """+1 or -1 per column, so that each column's largest entry (in magnitude) is positive."""
    largest = m[np.argmax(np.abs(m), axis=0), np.arange(m.shape[1])]
    return np.where(largest < 0, -1.0, 1.0)


def _fix_signs(m: np.ndarray) -> np.ndarray:
    return m * _column_signs(m)


def versions() -> dict[str, np.ndarray]:
    import scipy
    import skimage

    return {
        "meta.machine": np.array(platform.machine()),
        "meta.numpy": np.array(np.__version__),
        "meta.scipy": np.array(scipy.__version__),
        "meta.skimage": np.array(skimage.__version__),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", help="the .npz file to write")
    parser.add_argument("--seed", type=int, default=SEED, help="of the input generator")
    opts = parser.parse_args()
    rng = np.random.default_rng(opts.seed)
    results = {
        **linalg_results(rng),
        **fft_results(rng),
        **restoration_results(rng),
        **versions(),
    }
    np.savez(opts.out, **results)
    print(f"{len(results)} arrays written to {opts.out}")


if __name__ == "__main__":
    main()
