"""What each pickle opcode does on the machine in :mod:`.unpickler` (the protocol-0 to 5
opcodes torch and Python write; out-of-band buffers and the copyreg extension registry are
left out: torch never writes them)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rvwheels_runtime.weights.allowed import Placeholder, resolve_global
from rvwheels_runtime.weights.errors import BadPickle, describe

if TYPE_CHECKING:
    from rvwheels_runtime.weights.unpickler import Machine

Operation = Callable[["Machine", Any], None]
_HIGHEST_PROTOCOL = 5


def _push_argument(machine: Machine, argument: Any) -> None:
    machine.push(argument)


def _python2_string(machine: Machine, argument: str) -> None:
    # genops decodes Python 2 strings as latin-1; torch.load reads them as UTF-8.
    try:
        machine.push(argument.encode("latin-1").decode("utf-8"))
    except UnicodeError:
        msg = "a Python 2 string that is not UTF-8"
        raise BadPickle(msg) from None


def _constant(value: Any) -> Operation:
    return lambda machine, _argument: machine.push(value)


def _empty(kind: type) -> Operation:
    return lambda machine, _argument: machine.push(kind())


def _protocol(_machine: Machine, argument: int) -> None:
    if argument > _HIGHEST_PROTOCOL:
        msg = f"pickle protocol {argument}"
        raise BadPickle(msg)


def _ignore(_machine: Machine, _argument: Any) -> None:
    """FRAME only announces how many bytes follow; the opcodes are read one by one anyway."""


def _tuple_of(count: int) -> Operation:
    def operation(machine: Machine, _argument: Any) -> None:
        items = [machine.pop() for _ in range(count)]
        machine.push(tuple(reversed(items)))

    return operation


def _tuple(machine: Machine, _argument: Any) -> None:
    machine.push(tuple(machine.pop_mark()))


def _list(machine: Machine, _argument: Any) -> None:
    machine.push(machine.pop_mark())


def _dict(machine: Machine, _argument: Any) -> None:
    made: dict[Any, Any] = {}
    _set_items(machine, made, machine.pop_mark())
    machine.push(made)


def _frozenset(machine: Machine, _argument: Any) -> None:
    machine.push(frozenset([machine.check_key(item) for item in machine.pop_mark()]))


def _append(machine: Machine, _argument: Any) -> None:
    value = machine.pop()
    _extend(machine.top(), [value])


def _appends(machine: Machine, _argument: Any) -> None:
    items = machine.pop_mark()
    _extend(machine.top(), items)


def _extend(target: Any, items: list[Any]) -> None:
    if isinstance(target, list):
        target.extend(items)
    elif isinstance(target, Placeholder):
        target.elements.extend(items)
    else:
        msg = f"APPEND to {describe(target)}"
        raise BadPickle(msg)


def _setitem(machine: Machine, _argument: Any) -> None:
    value = machine.pop()
    key = machine.pop()
    _set_items(machine, machine.top(), [key, value])


def _setitems(machine: Machine, _argument: Any) -> None:
    items = machine.pop_mark()
    _set_items(machine, machine.top(), items)


def _set_items(machine: Machine, target: Any, flat: list[Any]) -> None:
    """``target[k] = v`` for the pairs in ``[k0, v0, k1, v1, ...]``, each key checked first."""
    if isinstance(target, Placeholder):
        target = target.items
    if not isinstance(target, dict):
        msg = f"SETITEM on {describe(target)}"
        raise BadPickle(msg)
    if len(flat) % 2:
        msg = "SETITEMS with a key but no value"
        raise BadPickle(msg)
    for position in range(0, len(flat), 2):
        target[machine.check_key(flat[position])] = flat[position + 1]


def _additems(machine: Machine, _argument: Any) -> None:
    items = machine.pop_mark()
    target = machine.top()
    if not isinstance(target, set):
        msg = f"ADDITEMS to {describe(target)}"
        raise BadPickle(msg)
    target.update([machine.check_key(item) for item in items])


def _mark(machine: Machine, _argument: Any) -> None:
    machine.marks.append(len(machine.stack))


def _pop(machine: Machine, _argument: Any) -> None:
    if len(machine.stack) > (machine.marks[-1] if machine.marks else 0):
        machine.stack.pop()
    else:
        machine.pop_mark()  # as pickle does: POP on an empty frame drops the mark


def _pop_mark(machine: Machine, _argument: Any) -> None:
    machine.pop_mark()


def _dup(machine: Machine, _argument: Any) -> None:
    machine.push(machine.top())


def _get(machine: Machine, argument: int) -> None:
    if not 0 <= argument < len(machine.memo):
        msg = f"memo entry {describe(argument)} read before it was written"
        raise BadPickle(msg)
    machine.push(machine.memo[argument])


def _put(machine: Machine, argument: int) -> None:
    # Picklers number memo entries 0, 1, 2, ...; a list keeps them, so a file cannot make the
    # memo allocate for a huge index, nor pick indices whose hashes collide in a dict.
    if argument == len(machine.memo):
        machine.memo.append(machine.top())
    elif 0 <= argument < len(machine.memo):
        machine.memo[argument] = machine.top()
    else:
        msg = f"memo entry {describe(argument)} written out of order"
        raise BadPickle(msg)


def _memoize(machine: Machine, _argument: Any) -> None:
    machine.memo.append(machine.top())


def _global(machine: Machine, argument: str) -> None:
    module, _, name = argument.partition(" ")  # genops joins the two lines with a blank
    machine.push(resolve_global(module, name, machine.placeholders, machine.source))


def _stack_global(machine: Machine, _argument: Any) -> None:
    name = machine.pop()
    module = machine.pop()
    if not isinstance(module, str) or not isinstance(name, str):
        msg = f"STACK_GLOBAL of {describe(module)} and {describe(name)}"
        raise BadPickle(msg)
    machine.push(resolve_global(module, name, machine.placeholders, machine.source))


def _reduce(machine: Machine, _argument: Any) -> None:
    args = machine.pop()
    func = machine.pop()
    machine.push(machine.call(func, args))


def _inst(machine: Machine, argument: str) -> None:
    module, _, name = argument.partition(" ")
    cls = resolve_global(module, name, machine.placeholders, machine.source)
    machine.push(machine.call(cls, tuple(machine.pop_mark())))


def _obj(machine: Machine, _argument: Any) -> None:
    items = machine.pop_mark()
    if not items:
        msg = "OBJ without a class"
        raise BadPickle(msg)
    machine.push(machine.call(items[0], tuple(items[1:])))


def _newobj(machine: Machine, _argument: Any) -> None:
    args = machine.pop()
    cls = machine.pop()
    machine.push(machine.new_object(cls, args, {}))


def _newobj_ex(machine: Machine, _argument: Any) -> None:
    kwargs = machine.pop()
    args = machine.pop()
    cls = machine.pop()
    machine.push(machine.new_object(cls, args, kwargs))


def _build(machine: Machine, _argument: Any) -> None:
    state = machine.pop()
    machine.build(machine.top(), state)


def _persid(machine: Machine, argument: Any) -> None:
    machine.push(machine.persistent(argument))


def _binpersid(machine: Machine, _argument: Any) -> None:
    machine.push(machine.persistent(machine.pop()))


_PUSH_ARGUMENT = (
    *("INT", "BININT", "BININT1", "BININT2", "LONG", "LONG1", "LONG4", "FLOAT", "BINFLOAT"),
    *("BINBYTES", "SHORT_BINBYTES", "BINBYTES8"),
    *("UNICODE", "BINUNICODE", "SHORT_BINUNICODE", "BINUNICODE8"),
)

OPERATIONS: dict[str, Operation] = {
    **dict.fromkeys(_PUSH_ARGUMENT, _push_argument),
    **dict.fromkeys(("STRING", "BINSTRING", "SHORT_BINSTRING"), _python2_string),
    "NONE": _constant(None),
    "NEWTRUE": _constant(True),
    "NEWFALSE": _constant(False),
    "EMPTY_TUPLE": _empty(tuple),
    "EMPTY_LIST": _empty(list),
    "EMPTY_DICT": _empty(dict),
    "EMPTY_SET": _empty(set),
    "PROTO": _protocol,
    "FRAME": _ignore,
    "TUPLE": _tuple,
    "TUPLE1": _tuple_of(1),
    "TUPLE2": _tuple_of(2),
    "TUPLE3": _tuple_of(3),
    "LIST": _list,
    "DICT": _dict,
    "FROZENSET": _frozenset,
    "APPEND": _append,
    "APPENDS": _appends,
    "SETITEM": _setitem,
    "SETITEMS": _setitems,
    "ADDITEMS": _additems,
    "MARK": _mark,
    "POP": _pop,
    "POP_MARK": _pop_mark,
    "DUP": _dup,
    **dict.fromkeys(("GET", "BINGET", "LONG_BINGET"), _get),
    **dict.fromkeys(("PUT", "BINPUT", "LONG_BINPUT"), _put),
    "MEMOIZE": _memoize,
    "GLOBAL": _global,
    "STACK_GLOBAL": _stack_global,
    "REDUCE": _reduce,
    "INST": _inst,
    "OBJ": _obj,
    "NEWOBJ": _newobj,
    "NEWOBJ_EX": _newobj_ex,
    "BUILD": _build,
    "PERSID": _persid,
    "BINPERSID": _binpersid,
}
