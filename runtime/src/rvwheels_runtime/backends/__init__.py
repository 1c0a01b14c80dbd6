"""Interchangeable inpainting engines behind one call: ``backend.inpaint(image, mask)``.

``numpy`` (default) runs the pure-NumPy generator and needs nothing else. ``classical``
(:mod:`.classical`) is a harmonic fill that needs no model at all. ``torch`` runs a
TorchScript export with ``torch.jit.load``, or any other weights file through a small
functional PyTorch generator. ``onnx`` runs an ONNX export with onnxruntime. All share the
pre/post-processing in :mod:`.contract`, so they differ only in the network.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from pathlib import Path

from rvwheels_runtime.backends.contract import (
    Backend,
    BackendError,
    InputError,
    ModelSource,
    ProgressCallback,
)

BACKENDS = ("numpy", "torch", "onnx")


def get_backend(
    name: str,
    model: ModelSource | None,
    threads: int | None = None,
    *,
    progress: ProgressCallback | None = None,
) -> Backend:
    """The backend ``name`` loaded with ``model`` (a file path, or weights for numpy/torch)."""
    if name not in BACKENDS:
        close = difflib.get_close_matches(name, BACKENDS, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        msg = f"unknown backend {name!r}{hint}; choose one of {', '.join(BACKENDS)}"
        raise BackendError(msg)
    if model is None:
        msg = "no model given: pass --model with a LaMa best.ckpt, big-lama.pt or .npz"
        raise BackendError(msg)
    if threads is not None and threads < 1:
        msg = f"threads must be at least 1, got {threads}"
        raise BackendError(msg)
    if name == "numpy":
        from rvwheels_runtime.backends.numpy_backend import NumpyBackend

        return NumpyBackend(model, threads=threads, progress=progress)
    if name == "torch":
        from rvwheels_runtime.backends.torch_backend import TorchBackend

        return TorchBackend(model, threads=threads)
    from rvwheels_runtime.backends.onnx_backend import OnnxBackend

    return OnnxBackend(_require_path(model, "onnx"), threads=threads)


def _require_path(model: ModelSource, backend: str) -> Path:
    if isinstance(model, Mapping):
        msg = f"the {backend} backend needs a model file, not in-memory weights"
        raise BackendError(msg)
    return Path(model)


__all__ = [
    "BACKENDS",
    "Backend",
    "BackendError",
    "InputError",
    "ModelSource",
    "ProgressCallback",
    "get_backend",
]
