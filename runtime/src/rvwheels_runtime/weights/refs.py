"""What the unpickler turns torch's objects into: storage types, dtypes and lazy tensor refs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class StorageType:
    """What ``torch.FloatStorage`` and friends stand for: the element type of raw bytes."""

    name: str
    dtype: str  # a numpy dtype name, or "bfloat16" which numpy lacks


@dataclass(frozen=True, slots=True)
class TorchDtype:
    """``torch.float32`` and friends, named by ``_rebuild_tensor_v3``."""

    dtype: str


@dataclass(frozen=True, kw_only=True, slots=True)
class StorageRef:
    """One storage record in the file, or a view into one (legacy format)."""

    key: str
    dtype: str
    numel: int
    view_offset: int = 0  # in elements, into the root storage ``key``


@dataclass(frozen=True, kw_only=True, slots=True)
class TensorRef:
    """A tensor not read yet: where its elements sit in a storage."""

    storage: StorageRef
    offset: int
    shape: tuple[int, ...]
    stride: tuple[int, ...]
    dtype: str | None = None  # overrides the storage's (v3 tensors on untyped storage)

    @property
    def element_dtype(self) -> str:
        return self.dtype or self.storage.dtype

    @property
    def numel(self) -> int:
        count = 1
        for n in self.shape:
            count *= n
        return count


STORAGE_DTYPES = {
    "DoubleStorage": "float64",
    "FloatStorage": "float32",
    "HalfStorage": "float16",
    "BFloat16Storage": "bfloat16",
    "LongStorage": "int64",
    "IntStorage": "int32",
    "ShortStorage": "int16",
    "CharStorage": "int8",
    "ByteStorage": "uint8",
    "BoolStorage": "bool",
    "ComplexFloatStorage": "complex64",
    "ComplexDoubleStorage": "complex128",
    "UntypedStorage": "uint8",
}

TORCH_DTYPES = {
    "float64": "float64",
    "double": "float64",
    "float32": "float32",
    "float": "float32",
    "float16": "float16",
    "half": "float16",
    "bfloat16": "bfloat16",
    "int64": "int64",
    "long": "int64",
    "int32": "int32",
    "int": "int32",
    "int16": "int16",
    "short": "int16",
    "int8": "int8",
    "uint8": "uint8",
    "bool": "bool",
    "complex64": "complex64",
    "cfloat": "complex64",
    "complex128": "complex128",
    "cdouble": "complex128",
}


def element_size(dtype: str) -> int:
    return 2 if dtype == "bfloat16" else np.dtype(dtype).itemsize


def shape_stub(ref: TensorRef) -> np.ndarray:
    """A zero-byte array of the tensor's shape: the layout is checked before any bytes are read."""
    return np.broadcast_to(np.zeros((), np.float32), ref.shape)
