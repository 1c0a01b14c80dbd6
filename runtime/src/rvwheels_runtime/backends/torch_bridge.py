"""Arrays between NumPy and torch without torch's NumPy bridge.

``torch.from_numpy`` and ``Tensor.numpy`` use NumPy's C API as torch was compiled against it.
A torch built for NumPy 1.x (the riscv64 ``pytorch-riscv64`` 2.3, the torch the RVBook has)
cannot use them under NumPy 2 ("Numpy is not available"). These copies go through raw bytes
instead, so they work with any pairing; the copy is cheap next to a LaMa forward pass.
"""

from __future__ import annotations

import ctypes
from typing import Any

import numpy as np

_DTYPES = {np.dtype(np.float32): "float32", np.dtype(np.uint8): "uint8"}


def to_torch(torch: Any, array: np.ndarray) -> Any:
    """A torch tensor holding a copy of ``array`` (float32 or uint8)."""
    array = np.ascontiguousarray(array)
    if array.dtype not in _DTYPES:
        array = array.astype(np.float32)
    dtype = getattr(torch, _DTYPES[array.dtype])
    # frombuffer wants a writable buffer it may share; a bytearray copy is ours alone.
    flat = torch.frombuffer(bytearray(array.tobytes()), dtype=dtype)
    return flat.reshape(array.shape)


def to_numpy(tensor: Any) -> np.ndarray:
    """A NumPy float32 copy of ``tensor``."""
    tensor = tensor.detach().float().contiguous().cpu()
    raw = ctypes.string_at(tensor.data_ptr(), tensor.numel() * tensor.element_size())
    return np.frombuffer(raw, dtype=np.float32).reshape(tuple(tensor.shape)).copy()
