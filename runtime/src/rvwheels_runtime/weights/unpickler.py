"""A pickle reader for PyTorch checkpoints that never runs code from the file.

``pickletools.genops`` splits the pickle into opcodes and their arguments (it only parses);
this module gives each opcode its meaning, over a stack of plain data. Globals come from the
fixed table in :mod:`.allowed`; every operation checks what it works on (BUILD only fills
placeholders, SETITEM only fills dicts, keys are checked before they are hashed), and every
step is counted against :data:`~.limits.MAX_PICKLE_STEPS`. Failures are :class:`BadPickle`
(or WeightsError for refused globals); nothing else escapes but the caller's own errors.
"""

from __future__ import annotations

import collections
import pickletools
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

from rvwheels_runtime.weights.allowed import (
    CONSTRUCTORS,
    EMPTY_NEW,
    HASHING,
    REBUILD_FROM_TYPE,
    Placeholder,
    PlaceholderClasses,
)
from rvwheels_runtime.weights.errors import BadPickle, WeightsError, describe, reason
from rvwheels_runtime.weights.keys import hash_is_chosen, key_cost
from rvwheels_runtime.weights.limits import (
    MAX_CHOSEN_HASH_KEYS,
    MAX_PICKLE_BYTES,
    MAX_PICKLE_STEPS,
)
from rvwheels_runtime.weights.opcodes import OPERATIONS
from rvwheels_runtime.weights.refs import StorageRef

ResolveStorage = Callable[[tuple[Any, ...]], StorageRef]
# Exceptions the allowed builtins raise for bad arguments (wrong types, values, codecs).
_CALL_ERRORS = (TypeError, ValueError, OverflowError, LookupError)


def unpickle(stream: BinaryIO, source: str, resolve_storage: ResolveStorage) -> Any:
    """Load one pickle from ``stream`` (positioned at it; left just after it). WeightsError
    for anything wrong, named after ``source``."""
    try:
        return Machine(source, resolve_storage).run(_opcodes(_Bounded(stream)))
    except BadPickle as err:
        msg = f"{source}: not a readable PyTorch checkpoint: {reason(err)}"
        raise WeightsError(msg) from None


def _opcodes(stream: _Bounded) -> Iterator[tuple[str, Any]]:
    ops = pickletools.genops(stream)
    while True:
        try:
            opcode, argument, _position = next(ops)
        except ValueError as err:  # genops' only error: truncated, unknown opcode, bad literal
            msg = f"truncated or corrupt pickle ({reason(err)})"
            raise BadPickle(msg) from None
        yield opcode.name, argument


class _Bounded:
    """A read-only view of a stream that ends after MAX_PICKLE_BYTES: genops asks for the
    lengths a file claims, and a file object allocates what it is asked for."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._left = MAX_PICKLE_BYTES

    def read(self, size: int = -1) -> bytes:
        limit = self._left + 1 if size < 0 else min(size, self._left + 1)
        return self._count(self._stream.read(limit))

    def readline(self) -> bytes:
        return self._count(self._stream.readline(self._left + 1))

    def _count(self, data: bytes) -> bytes:
        self._left -= len(data)
        if self._left < 0:
            msg = f"pickle longer than {MAX_PICKLE_BYTES} bytes"
            raise BadPickle(msg)
        return data


class Machine:
    """The pickle machine: a stack with marks, a memo, and the opcodes weights files use."""

    def __init__(self, source: str, resolve_storage: ResolveStorage) -> None:
        self.source = source
        self.resolve_storage = resolve_storage
        self.placeholders = PlaceholderClasses(source)
        self.stack: list[Any] = []
        self.marks: list[int] = []
        self.memo: list[Any] = []
        self.steps = 0
        self.chosen_hash_keys = 0

    def run(self, opcodes: Iterator[tuple[str, Any]]) -> Any:
        for name, argument in opcodes:
            self.steps += 1  # spend(1), inlined: this loop runs once per opcode
            if self.steps > MAX_PICKLE_STEPS:
                self.spend(0)
            if name == "STOP":
                return self.pop()
            operation = OPERATIONS.get(name)
            if operation is None:
                msg = f"opcode {name}, which torch never writes"
                raise BadPickle(msg)
            operation(self, argument)
        raise AssertionError  # genops ends with STOP or raises

    def spend(self, steps: int) -> None:
        self.steps += steps
        if self.steps > MAX_PICKLE_STEPS:
            msg = f"pickle takes more than {MAX_PICKLE_STEPS} steps to read"
            raise BadPickle(msg)

    # -- the stack ---------------------------------------------------------------------------
    def push(self, value: Any) -> None:
        self.stack.append(value)

    def pop(self) -> Any:
        self._need(1)
        return self.stack.pop()

    def top(self) -> Any:
        self._need(1)
        return self.stack[-1]

    def _need(self, count: int) -> None:
        floor = self.marks[-1] if self.marks else 0
        if len(self.stack) - floor < count:
            msg = "stack underflow"
            raise BadPickle(msg)

    def pop_mark(self) -> list[Any]:
        if not self.marks:
            msg = "no MARK on the stack"
            raise BadPickle(msg)
        start = self.marks.pop()
        items = self.stack[start:]
        del self.stack[start:]
        return items

    # -- what opcodes do with objects --------------------------------------------------------
    def check_key(self, key: Any) -> Any:
        """``key`` once it is known to be cheap to hash, and not one of too many whose hash the
        file chose (those can all collide)."""
        self.spend(key_cost(key))
        if hash_is_chosen(key):
            self.chosen_hash_keys += 1
            if self.chosen_hash_keys > MAX_CHOSEN_HASH_KEYS:
                msg = f"more than {MAX_CHOSEN_HASH_KEYS} dict keys or set members that are numbers"
                raise BadPickle(msg + " or tuples (a file can choose them to collide)")
        return key

    def call(self, func: Any, args: Any) -> Any:
        """``func(*args)`` for a callable from the allowed table or a placeholder class."""
        if not isinstance(args, tuple):
            msg = f"call arguments are {describe(args)}, expected a tuple"
            raise BadPickle(msg)
        self.spend(len(args))
        if func is REBUILD_FROM_TYPE:
            inner, _new_type, inner_args, _state = _fields(args, 4, "_rebuild_from_type_v2")
            if inner is REBUILD_FROM_TYPE:  # torch never nests it; a file could, a level a call
                msg = "_rebuild_from_type_v2 of itself"
                raise BadPickle(msg)
            return self.call(inner, inner_args)
        if _is_placeholder_class(func):
            return func(*args)
        if not _allowed(func):
            msg = f"a call of {describe(func)}"
            raise BadPickle(msg)
        if func in HASHING:
            args = self._checked_members(func, args)
        try:
            result = CONSTRUCTORS[func](*args)
        except _CALL_ERRORS as err:
            msg = f"{getattr(func, '__name__', 'constructor')}() failed: {reason(err)}"
            raise BadPickle(msg) from None
        self.spend(len(result) if isinstance(result, _SIZED) else 1)
        return result

    def _checked_members(self, kind: type, args: tuple[Any, ...]) -> tuple[Any, ...]:
        """The arguments of a set or dict constructor, with each key checked (and copied)."""
        if kind is collections.defaultdict:
            factory, *rest = args or (None,)
            if not (factory is None or _allowed(factory) or _is_placeholder_class(factory)):
                msg = f"defaultdict whose factory is {describe(factory)}"
                raise BadPickle(msg)
            return (factory, *self._checked_members(dict, tuple(rest)))
        if not args:
            return ()
        if len(args) > 1 or not isinstance(args[0], _ITERABLE):
            msg = f"{kind.__name__}() of {describe(args[0] if args else None)}"
            raise BadPickle(msg)
        self.spend(len(args[0]))
        if kind in (set, frozenset):
            return ([self.check_key(member) for member in args[0]],)
        pairs = args[0].items() if isinstance(args[0], dict) else args[0]
        return ([(self.check_key(key), value) for key, value in map(_pair, pairs)],)

    def new_object(self, cls: Any, args: Any, kwargs: Any) -> Any:
        """NEWOBJ: ``cls.__new__(cls, *args)`` for placeholders and plain containers."""
        if not isinstance(args, tuple) or not isinstance(kwargs, dict):
            msg = f"NEWOBJ arguments are {describe(args)} and {describe(kwargs)}"
            raise BadPickle(msg)
        self.spend(len(args) + len(kwargs))
        if _is_placeholder_class(cls) or cls in EMPTY_NEW:
            return cls.__new__(cls)  # their __new__ ignores the arguments
        if not kwargs and isinstance(cls, type) and _allowed(cls):
            return self.call(cls, args)  # immutable builtins: __new__ is the constructor
        msg = f"NEWOBJ of {describe(cls)}"
        raise BadPickle(msg)

    def build(self, target: Any, state: Any) -> None:
        """BUILD: only placeholders keep state. Functions, classes and everything shared
        between loads are refused, so no file can change how the next one loads."""
        if isinstance(target, Placeholder):
            target.state = state
        elif type(target) in (collections.OrderedDict, collections.defaultdict):
            # A state_dict carries its _metadata this way; weights do not need it.
            if state is not None and not isinstance(state, dict):
                msg = f"BUILD of an OrderedDict with {describe(state)}"
                raise BadPickle(msg)
        else:
            msg = f"BUILD on {describe(target)}"
            raise BadPickle(msg)

    def persistent(self, pid: Any) -> Any:
        if not isinstance(pid, tuple) or not pid:
            msg = f"persistent id is {describe(pid)}, expected a tuple"
            raise BadPickle(msg)
        kind = pid[0].decode("ascii", "replace") if isinstance(pid[0], bytes) else pid[0]
        if kind == "module" and len(pid) > 1:
            # Legacy files name nn.Module classes this way (with their source, which we skip);
            # the class itself came through the global table.
            return pid[1]
        if kind != "storage":
            msg = f"persistent id of kind {describe(kind)}"
            raise BadPickle(msg)
        return self.resolve_storage(pid[1:])


_SIZED = (tuple, list, dict, set, frozenset, str, bytes, bytearray)
_ITERABLE = (tuple, list, dict, set, frozenset)


def _fields(args: tuple[Any, ...], count: int, what: str) -> tuple[Any, ...]:
    if len(args) != count:
        msg = f"{what} with {len(args)} arguments, expected {count}"
        raise BadPickle(msg)
    return args


def _pair(item: Any) -> tuple[Any, Any]:
    if not isinstance(item, tuple | list) or len(item) != 2:
        msg = f"a dict entry that is {describe(item)}, expected a pair"
        raise BadPickle(msg)
    return item[0], item[1]


def _allowed(value: Any) -> bool:
    # callable() first: looking a deep tuple up in a dict would hash it.
    return callable(value) and value in CONSTRUCTORS


def _is_placeholder_class(value: Any) -> bool:
    return isinstance(value, type) and issubclass(value, Placeholder)
