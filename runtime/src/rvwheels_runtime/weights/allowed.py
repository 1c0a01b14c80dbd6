"""The globals a weights pickle may name, and what each one becomes.

A pickle names functions and classes as ``module.name``; ``torch.load`` imports and calls
them. Here a fixed table answers instead: torch's tensor functions become lazy
:class:`~.refs.TensorRef` builders, storage types and dtypes become markers, a few builtins
and ``collections`` classes become constructors that only accept plain data, and classes that
only carry metadata (Lightning, OmegaConf, TorchScript ``__torch__`` modules) become inert
:class:`Placeholder` classes made for that one load. Every other global is refused.
"""

from __future__ import annotations

import collections
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rvwheels_runtime.weights.errors import BadPickle, WeightsError, clip, describe
from rvwheels_runtime.weights.limits import MAX_DIMENSIONS, MAX_ELEMENTS, MAX_PLACEHOLDER_CLASSES
from rvwheels_runtime.weights.refs import (
    STORAGE_DTYPES,
    TORCH_DTYPES,
    StorageRef,
    StorageType,
    TensorRef,
    TorchDtype,
)


class Placeholder:
    """Stands in for a class from the file: keeps what it is given, runs nothing."""

    global_name = "?"

    def __new__(cls, *_args: Any, **_kwargs: Any) -> Placeholder:
        # pickle's NEWOBJ creates objects without __init__, so every field starts here.
        self = object.__new__(cls)
        self.args, self.kwargs, self.state = (), {}, None
        self.items, self.elements = {}, []
        return self

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.args, self.kwargs = args, kwargs

    def __repr__(self) -> str:
        return f"<placeholder {clip(self.global_name)}>"


class PlaceholderClasses:
    """The placeholder classes of one load: one per global name, at most a bounded number.

    Private to the load, so nothing a file does to them reaches the next file; one class per
    name, so classes used as dict keys (Lightning's callback states) stay distinct.
    """

    def __init__(self, source: str) -> None:
        self._source = source
        self._classes: dict[str, type[Placeholder]] = {}

    def get(self, global_name: str) -> type[Placeholder]:
        known = self._classes.get(global_name)
        if known is not None:
            return known
        if len(self._classes) >= MAX_PLACEHOLDER_CLASSES:
            msg = (
                f"{self._source}: names more than {MAX_PLACEHOLDER_CLASSES} classes; "
                "a weights file names a few dozen"
            )
            raise WeightsError(msg)
        made = type("Placeholder", (Placeholder,), {"global_name": global_name})
        self._classes[global_name] = made
        return made


def _rebuild_tensor(
    storage: Any, offset: Any, shape: Any, stride: Any, *_ignored: Any, dtype: str | None = None
) -> TensorRef:
    if not isinstance(storage, StorageRef):
        msg = f"tensor data is {describe(storage)}, expected a storage reference"
        raise BadPickle(msg)
    sizes, strides = _dimensions(shape, "shape"), _dimensions(stride, "stride")
    if len(sizes) != len(strides):
        msg = f"tensor shape has {len(sizes)} dimensions but its stride {len(strides)}"
        raise BadPickle(msg)
    ref = TensorRef(
        storage=storage,
        offset=count(offset, "tensor offset"),
        shape=sizes,
        stride=strides,
        dtype=dtype,
    )
    if ref.numel > MAX_ELEMENTS:
        msg = f"tensor of {ref.numel} elements in a weights file"
        raise BadPickle(msg)
    return ref


def _dimensions(value: Any, what: str) -> tuple[int, ...]:
    if not isinstance(value, tuple | list) or len(value) > MAX_DIMENSIONS:
        msg = f"tensor {what} is {describe(value)}, expected up to {MAX_DIMENSIONS} sizes"
        raise BadPickle(msg)
    return tuple(count(n, f"tensor {what}") for n in value)


def count(value: Any, what: str) -> int:
    """A non-negative int that fits the limits (bools excluded)."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_ELEMENTS:
        return value
    msg = f"{what} is {describe(value)}, expected a count from 0 to {MAX_ELEMENTS}"
    raise BadPickle(msg)


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
        msg = f"tensor dtype is {describe(dtype)}, expected a torch dtype"
        raise BadPickle(msg)
    return _rebuild_tensor(storage, offset, shape, stride, dtype=dtype.dtype)


def _rebuild_parameter(data: Any, *_ignored: Any) -> Any:
    return data


@dataclass(frozen=True, slots=True)
class CallsBack:
    """A torch function that calls another callable from the file (``_rebuild_from_type_v2``
    calls ``func(*args)``): the unpickler makes that call itself, with its usual checks."""

    name: str


REBUILD_FROM_TYPE = CallsBack("torch._tensor._rebuild_from_type_v2")


def _restore_type_tag(value: Any, _type_tag: Any) -> Any:
    return value


# Text codecs a pickle may use to spell bytes (protocol 2 writes latin-1); codecs.lookup is
# not asked: it imports modules named by the file and knows compressing "codecs".
_TEXT_CODECS = {"latin1": "latin-1", "latin-1": "latin-1", "iso-8859-1": "latin-1"}
_TEXT_CODECS |= {"utf-8": "utf-8", "utf8": "utf-8", "ascii": "ascii", "us-ascii": "ascii"}
_ERROR_HANDLERS = {"strict", "ignore", "replace", "surrogatepass", "surrogateescape"}


def _codec(encoding: Any, errors: Any = "strict") -> tuple[str, str]:
    name = None
    if isinstance(encoding, str):
        name = _TEXT_CODECS.get(encoding.lower().replace("_", "-"))
    # isinstance first: looking a deep tuple up in a set would hash it.
    if name is None or not isinstance(errors, str) or errors not in _ERROR_HANDLERS:
        msg = f"text codec {describe(encoding)} with errors={describe(errors)} in a pickle"
        raise BadPickle(msg)
    return name, errors


def _codecs_encode(text: Any, encoding: Any = "utf-8", errors: Any = "strict") -> bytes:
    if not isinstance(text, str):
        msg = f"_codecs.encode of {describe(text)}"
        raise BadPickle(msg)
    return text.encode(*_codec(encoding, errors))


def _make_str(*args: Any) -> str:
    if len(args) <= 1:
        if args and not _is_scalar(args[0]):
            msg = f"str() of {describe(args[0])} in a pickle"  # str() of a list reprs it
            raise BadPickle(msg)
        return str(*args)
    if not isinstance(args[0], bytes | bytearray) or len(args) > 3:
        msg = f"str() of {describe(args[0])} with an encoding"
        raise BadPickle(msg)
    return str(args[0], *_codec(*args[1:]))


def _make_bytes(kind: type) -> Callable[..., Any]:
    """bytes()/bytearray() from data, but not bytes(10**12): a size would allocate memory."""

    def build(*args: Any) -> Any:
        if args and isinstance(args[0], int):
            msg = f"{kind.__name__}(<size>) in a pickle"
            raise BadPickle(msg)
        if len(args) >= 2:
            if not isinstance(args[0], str):
                msg = f"{kind.__name__}() of {describe(args[0])} with an encoding"
                raise BadPickle(msg)
            return kind(args[0], *_codec(*args[1:3]))
        return kind(*args)

    return build


def _scalars_only(kind: type) -> Callable[..., Any]:
    def build(*args: Any) -> Any:
        if not all(_is_scalar(arg) for arg in args):
            msg = f"{kind.__name__}() of {', '.join(map(describe, args))} in a pickle"
            raise BadPickle(msg)
        return kind(*args)

    return build


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, bool | int | float | complex | str | bytes)


def _reconstructor(cls: Any, _base: Any, state: Any) -> Any:
    # copyreg's protocol-0/1 way to make an object; only placeholders may be made so.
    if isinstance(cls, type) and issubclass(cls, Placeholder):
        return cls(state)
    msg = f"copyreg._reconstructor of {describe(cls)}"
    raise BadPickle(msg)


_FUNCTIONS: dict[tuple[str, str], Any] = {
    ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
    ("torch._utils", "_rebuild_tensor_v3"): _rebuild_tensor_v3,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter,
    ("torch._tensor", "_rebuild_from_type_v2"): REBUILD_FROM_TYPE,
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
}

# Builtins a checkpoint's metadata may name: the types themselves go on the stack (NEWOBJ
# needs the class), and calling them goes through CONSTRUCTORS.
_BUILTINS = (bool, bytearray, bytes, complex, dict, float, frozenset, int, list, object, set)
_BUILTINS += (slice, str, tuple)

# What calling each allowed callable does. Set and dict builders (which hash what they are
# given) are here too; the unpickler checks their members before it calls them.
CONSTRUCTORS: dict[Any, Callable[..., Any]] = {
    **{function: function for function in _FUNCTIONS.values() if callable(function)},
    **{kind: kind for kind in (list, tuple, dict, set, frozenset)},
    bool: _scalars_only(bool),
    int: _scalars_only(int),
    float: _scalars_only(float),
    complex: _scalars_only(complex),
    slice: _scalars_only(slice),
    object: object,
    str: _make_str,
    bytes: _make_bytes(bytes),
    bytearray: _make_bytes(bytearray),
}

# Constructors that hash their argument's members (or keys): checked first.
HASHING = (set, frozenset, dict, collections.OrderedDict, collections.defaultdict)
# Classes whose __new__ ignores its arguments: NEWOBJ may make an empty one.
EMPTY_NEW = (dict, list, set, collections.OrderedDict, collections.defaultdict)


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


def resolve_global(module: str, name: str, placeholders: PlaceholderClasses, source: str) -> Any:
    """What ``module.name`` in the file stands for; WeightsError for anything not allowed."""
    if (module, name) in _FUNCTIONS:
        return _FUNCTIONS[(module, name)]
    if module in ("torch", "torch.storage") and name in STORAGE_DTYPES:
        return StorageType(name, STORAGE_DTYPES[name])
    if module == "torch" and name in TORCH_DTYPES:
        return TorchDtype(TORCH_DTYPES[name])
    if module in ("builtins", "__builtin__"):
        found = next((kind for kind in _BUILTINS if kind.__name__ == name), None)
        if found is not None:
            return found
    if module.split(".", 1)[0] in _DATA_ONLY_PREFIXES:
        return placeholders.get(f"{module}.{name}")
    msg = (
        f"{source}: refusing to load: the file asks to import {clip(f'{module}.{name}')}, "
        "which no weights file needs (a whole pickled model? save its state_dict() instead)"
    )
    raise WeightsError(msg)
