"""A tiny LaMa (same architecture, ngf=8, 2 blocks) and a self-check against a bundled result.

``run_tiny_check()`` inpaints the bundled 96×64 synthetic picture with seeded random weights and
compares the raw generator output with ``data/tiny_reference.npy``, which the independent
PyTorch reference produced on x86_64 (``runtime/tests/model/make_tiny_data.py``). It proves
numpy's BLAS and FFT give LaMa's numbers on this machine, and takes well under a second
natively, so it stays short under qemu.
"""

from __future__ import annotations

import time
from importlib import resources

import numpy as np

from rvwheels_runtime.model.config import LamaConfig
from rvwheels_runtime.model.generator import LamaGenerator
from rvwheels_runtime.model.layout import random_weights

TINY_CONFIG = LamaConfig(ngf=8, n_blocks=2)
TINY_SEED = 0
TOLERANCE = 1e-4
INPUT_FILE = "tiny_input.npz"
REFERENCE_FILE = "tiny_reference.npy"


def tiny_weights(seed: int = TINY_SEED) -> dict[str, np.ndarray]:
    """Seeded weights of the tiny model, in the official checkpoint's key layout."""
    return random_weights(TINY_CONFIG, seed=seed)


def _data_file(name: str):
    return resources.files("rvwheels_runtime").joinpath("data", name)


def tiny_picture() -> tuple[np.ndarray, np.ndarray]:
    """The bundled (image H×W×3 uint8, mask H×W uint8; nonzero = fill)."""
    with _data_file(INPUT_FILE).open("rb") as handle, np.load(handle) as data:
        return data["image"], data["mask"]


def generator_input(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """LaMa's input: (RGB in [0,1] · (1 − mask), mask) as float32 (4, H, W)."""
    rgb = image.astype(np.float32).transpose(2, 0, 1) / np.float32(255)
    hole = (mask > 0).astype(np.float32)[None]
    return np.concatenate([rgb * (1 - hole), hole])


def tiny_reference() -> np.ndarray:
    """The torch reference's (3, H, W) output for the bundled picture and ``tiny_weights()``."""
    with _data_file(REFERENCE_FILE).open("rb") as handle:
        return np.load(handle)


def run_tiny_check(*, threads: int | None = None) -> dict[str, float | bool]:
    """Run the NumPy generator on the bundled picture; compare with the bundled reference.

    Returns ``max_abs_diff``, ``seconds`` (the forward pass alone), ``tolerance`` and ``ok``.
    """
    x = generator_input(*tiny_picture())
    generator = LamaGenerator(tiny_weights(), TINY_CONFIG, threads=threads)
    start = time.perf_counter()
    output = generator.forward(x)
    seconds = time.perf_counter() - start
    max_abs_diff = float(np.abs(output - tiny_reference()).max())
    return {
        "max_abs_diff": max_abs_diff,
        "seconds": seconds,
        "tolerance": TOLERANCE,
        "ok": max_abs_diff <= TOLERANCE,
    }


def run_tiny_torch_check(*, threads: int | None = None) -> dict[str, float | bool | str]:
    """The torch backend's tiny LaMa against the NumPy backend's, both run here.

    For a riscv64 torch (an adopted one) this proves the torch wheel computes LaMa's numbers
    as our NumPy does. Needs torch; ``rvwheels verify`` calls it only when torch is installed.
    """
    import torch

    from rvwheels_runtime.backends.torch_bridge import to_numpy, to_torch
    from rvwheels_runtime.backends.torch_lama import FunctionalLama

    x = generator_input(*tiny_picture())
    weights = tiny_weights()
    numpy_output = LamaGenerator(weights, TINY_CONFIG, threads=threads).forward(x)
    if threads:
        torch.set_num_threads(threads)
    start = time.perf_counter()
    torch_output = to_numpy(FunctionalLama(weights)(to_torch(torch, x)[None]))[0]
    seconds = time.perf_counter() - start
    max_abs_diff = float(np.abs(torch_output - numpy_output).max())
    return {
        "torch": torch.__version__,
        "max_abs_diff": max_abs_diff,
        "seconds": seconds,
        "tolerance": TOLERANCE,
        "ok": max_abs_diff <= TOLERANCE,
    }
