"""A pickle reader for PyTorch checkpoints that never runs code from the file.

``pickle`` can call any importable function a file names; ``torch.load`` trusts that. Here
``find_class`` answers from a fixed table instead: tensors become lazy :class:`TensorRef`s,
storage types become dtype markers, and the classes that only carry data we skip (Lightning
hyper-parameters, OmegaConf nodes, TorchScript ``__torch__`` modules) become inert
:class:`Placeholder` objects that record what they were given. Every other global, ``os.system``
included, is refused before anything is called.
"""

from __future__ import annotations

import builtins
import codecs
import collections
import pickle
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from rvwheels_runtime.weights.errors import WeightsError


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


_STORAGE_DTYPES = {
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

_TORCH_DTYPES = {
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

# Harmless constructors a checkpoint's metadata may name; the real ones are fine to call.
_SAFE_BUILTINS = {
    name: getattr(builtins, name)
    for name in [
        "bool",
        "complex",
        "dict",
        "float",
        "frozenset",
        "int",
        "list",
        "object",
        "set",
        "slice",
        "str",
        "tuple",
    ]
}

# Namespaces whose classes only carry data we never use: they become Placeholders.
_DATA_ONLY_PREFIXES = (
    "__torch__",
    "torch",
    "omegaconf",
    "pytorch_lightning",
    "lightning",
    "lightning_fabric",
    "saicinpainting",
    "numpy",
    "typing",
    "pathlib",
    "argparse",
    "datetime",
    "enum",
)


class Placeholder:
    """Stands in for a class from the file: stores its arguments, runs nothing."""

    global_name = "?"

    def __new__(cls, *_args: Any, **_kwargs: Any) -> Placeholder:
        # pickle's NEWOBJ calls __new__ without __init__, so every field starts here.
        self = object.__new__(cls)
        self.args, self.kwargs, self.state = (), {}, None
        self.items, self.elements = {}, []
        return self

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.args, self.kwargs = args, kwargs

    def __setstate__(self, state: Any) -> None:
        self.state = state

    def __setitem__(self, key: Any, value: Any) -> None:
        self.items[key] = value

    def append(self, value: Any) -> None:
        self.elements.append(value)

    def extend(self, values: Any) -> None:
        self.elements.extend(values)

    def __repr__(self) -> str:
        return f"<placeholder {self.global_name}>"


_placeholder_classes: dict[str, type[Placeholder]] = {}


def placeholder_class(global_name: str) -> type[Placeholder]:
    """One class per global name, so classes used as dict keys stay distinct and hashable."""
    if global_name not in _placeholder_classes:
        short = global_name.rsplit(".", 1)[-1] or "Placeholder"
        _placeholder_classes[global_name] = type(
            short, (Placeholder,), {"global_name": global_name}
        )
    return _placeholder_classes[global_name]


def _rebuild_tensor(
    storage: Any, offset: Any, shape: Any, stride: Any, *_ignored: Any, dtype: str | None = None
) -> TensorRef:
    if not isinstance(storage, StorageRef):
        msg = f"tensor data is {type(storage).__name__}, expected a storage reference"
        raise BadPickle(msg)
    try:
        return TensorRef(
            storage=storage,
            offset=int(offset),
            shape=tuple(int(n) for n in shape),
            stride=tuple(int(n) for n in stride),
            dtype=dtype,
        )
    except (TypeError, ValueError) as err:
        msg = f"malformed tensor header ({err})"
        raise BadPickle(msg) from None


def _rebuild_tensor_v3(
    storage: Any,
    offset: Any,
    shape: Any,
    stride: Any,
    requires_grad: Any,
    hooks: Any,
    dtype: Any,
    *_metadata: Any,
) -> TensorRef:
    if not isinstance(dtype, TorchDtype):
        msg = f"tensor dtype is {dtype!r}, expected a torch dtype"
        raise BadPickle(msg)
    return _rebuild_tensor(storage, offset, shape, stride, dtype=dtype.dtype)


def _rebuild_parameter(data: Any, *_ignored: Any) -> Any:
    return data


def _rebuild_from_type(func: Callable[..., Any], _new_type: Any, args: Any, _state: Any) -> Any:
    # ``func`` came through find_class, so it is one of the entries of this module's table.
    return func(*args)


def _restore_type_tag(value: Any, _type_tag: Any) -> Any:
    return value


def _codecs_encode(text: Any, encoding: str = "utf-8") -> bytes:
    # Protocol-2 pickles spell bytes as _codecs.encode(str, "latin1").
    if not isinstance(text, str) or codecs.lookup(encoding).name not in ("latin-1", "utf-8"):
        msg = f"unexpected _codecs.encode({type(text).__name__}, {encoding!r})"
        raise BadPickle(msg)
    return text.encode(encoding)


def _no_size(kind: type) -> Callable[..., Any]:
    """bytes()/bytearray() from data, but not bytes(10**12): a size would allocate memory."""

    def build(*args: Any) -> Any:
        if args and isinstance(args[0], int):
            msg = f"{kind.__name__}(<size>) in a pickle"
            raise BadPickle(msg)
        return kind(*args)

    return build


def _reconstructor(cls: Any, base: Any, state: Any) -> Any:
    if isinstance(cls, type) and issubclass(cls, Placeholder):
        return cls(state)
    if base is object:
        return cls()
    return cls(state)


_FUNCTIONS: dict[tuple[str, str], Any] = {
    ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
    ("torch._utils", "_rebuild_tensor_v3"): _rebuild_tensor_v3,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter,
    ("torch._tensor", "_rebuild_from_type_v2"): _rebuild_from_type,
    ("torch.jit._pickle", "restore_type_tag"): _restore_type_tag,
    ("torch.jit._pickle", "build_intlist"): list,
    ("torch.jit._pickle", "build_doublelist"): list,
    ("torch.jit._pickle", "build_boollist"): list,
    ("torch.jit._pickle", "build_tensorlist"): list,
    ("collections", "OrderedDict"): collections.OrderedDict,
    # OmegaConf configs in Lightning hyper-parameters; the factory is itself from this table.
    ("collections", "defaultdict"): collections.defaultdict,
    ("_codecs", "encode"): _codecs_encode,
    ("copyreg", "_reconstructor"): _reconstructor,
    ("builtins", "bytes"): _no_size(bytes),
    ("__builtin__", "bytes"): _no_size(bytes),
    ("builtins", "bytearray"): _no_size(bytearray),
    ("__builtin__", "bytearray"): _no_size(bytearray),
}


class BadPickle(Exception):
    """Internal to this package: the pickle is malformed; callers turn it into WeightsError."""


# Protocol 5's out-of-band buffers: torch never writes them, and BYTEARRAY8 allocates (and
# zero-fills) whatever size a damaged file claims.
_REFUSED_OPCODES = {pickle.BYTEARRAY8[0], pickle.NEXT_BUFFER[0], pickle.READONLY_BUFFER[0]}


class RestrictedUnpickler(pickle._Unpickler):
    """Unpickles a torch checkpoint pickle into plain Python data, TensorRefs and Placeholders.

    Built on the pure-Python unpickler: the C one keeps its memo in an array indexed by the
    file's LONG_BINPUT numbers, so one damaged byte can make it allocate gigabytes. The pickles
    read here are small (tensor data lives outside them), so the speed does not matter.

    ``resolve_storage`` turns a persistent id (the tuple torch writes for each storage) into a
    StorageRef; it differs between the zip and the legacy formats.
    """

    dispatch = {
        code: load
        for code, load in pickle._Unpickler.dispatch.items()
        if code not in _REFUSED_OPCODES
    }

    def __init__(
        self, file: Any, source: str, resolve_storage: Callable[[tuple[Any, ...]], StorageRef]
    ) -> None:
        super().__init__(file)
        self._source = source
        self._resolve_storage = resolve_storage

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _FUNCTIONS:
            return _FUNCTIONS[(module, name)]
        if module in ("torch", "torch.storage") and name in _STORAGE_DTYPES:
            return StorageType(name, _STORAGE_DTYPES[name])
        if module == "torch" and name in _TORCH_DTYPES:
            return TorchDtype(_TORCH_DTYPES[name])
        if module in ("builtins", "__builtin__") and _SAFE_BUILTINS.get(name) is not None:
            return _SAFE_BUILTINS[name]
        if module.split(".", 1)[0] in _DATA_ONLY_PREFIXES:
            return placeholder_class(f"{module}.{name}")
        msg = (
            f"{self._source}: refusing to load: the file asks to import {module}.{name}, "
            "which no weights file needs (a whole pickled model? save its state_dict() instead)"
        )
        raise WeightsError(msg)

    def persistent_load(self, pid: Any) -> Any:
        if not isinstance(pid, tuple) or not pid:
            msg = f"unexpected persistent id {pid!r}"
            raise BadPickle(msg)
        kind = pid[0].decode("ascii") if isinstance(pid[0], bytes) else pid[0]
        if kind == "module" and len(pid) > 1:
            # Legacy files name nn.Module classes this way (with their source, which we skip);
            # the class itself came through find_class.
            return pid[1]
        if kind != "storage":
            msg = f"unexpected persistent id kind {kind!r}"
            raise BadPickle(msg)
        return self._resolve_storage(pid[1:])


def storage_type_of(value: Any) -> StorageType:
    if not isinstance(value, StorageType):
        msg = f"storage type is {value!r}, expected torch.<Type>Storage"
        raise BadPickle(msg)
    return value


def unpickle(
    data: Any, source: str, resolve_storage: Callable[[tuple[Any, ...]], StorageRef]
) -> Any:
    """Load one pickle from the file object ``data``; any failure is a WeightsError."""
    try:
        return RestrictedUnpickler(data, source, resolve_storage).load()
    except WeightsError:
        raise
    except BadPickle as err:
        msg = f"{source}: not a readable PyTorch checkpoint: {err}"
        raise WeightsError(msg) from None
    except (
        pickle.UnpicklingError,
        struct.error,
        EOFError,
        ValueError,
        TypeError,
        KeyError,
        IndexError,
        AttributeError,
        UnicodeDecodeError,
        MemoryError,
        OverflowError,
    ) as err:
        msg = f"{source}: truncated or corrupt pickle ({type(err).__name__}: {err})"
        raise WeightsError(msg) from None


def element_size(dtype: str) -> int:
    return 2 if dtype == "bfloat16" else np.dtype(dtype).itemsize
