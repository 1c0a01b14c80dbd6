"""Generators of hostile weights files: every finding of the hostile-input review, and the
attacks around it, as small files written on the fly (nothing binary is checked in).

Each :class:`Case` writes one file the reader must refuse with one WeightsError line, within
the memory limit, without running anything. Legacy-format files come with a sidecar sha256 of
their own (an attacker ships one too), so the parser behind the checksum gate is reached.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rvwheels_runtime.model.config import LamaConfig
from rvwheels_runtime.model.layout import random_weights

from weights.torchfiles import (
    EMPTY_DICT,
    MARK,
    Stored,
    call,
    dict_of,
    get,
    integer,
    list_of,
    name,
    pickle_of,
    put,
    state_dict,
    tensor,
    text,
    tuple_of,
    write_legacy,
    write_torch_zip,
)

TINY = LamaConfig(ngf=4, n_downsampling=1, n_blocks=1)
DEEP = 200_000
MARKER = "PWNED"  # file name a payload would create in the case's folder


@dataclass(frozen=True)
class Case:
    """One hostile file: ``write(folder)`` makes it and returns its path."""

    name: str
    write: Callable[[Path], Path]
    expect: str  # a regular expression the error line must match


def genuine_weights() -> dict[str, np.ndarray]:
    return random_weights(TINY, seed=11)


# --- the payload in a file: alone, or beside a complete generator -----------------------------
Payload = bytes | Callable[[bool], bytes]  # opcodes pushing one value, or made per format


def payload_file(
    payload: Payload, *, legacy: bool, generator: bool, walked: bool
) -> Callable[[Path], Path]:
    """A checkpoint whose hyper-parameters are ``payload``, or (``walked``) whose state dict
    is: the reader walks that one for tensors."""

    def write(path: Path) -> Path:
        if callable(payload):
            return payload_file(payload(legacy), legacy=legacy, generator=generator, walked=walked)(
                path
            )
        weights = _generator(legacy) if generator else Stored(EMPTY_DICT, {})
        if walked:
            root = dict_of([(text("state_dict"), payload)])
        else:
            root = dict_of([(text("state_dict"), weights.pickled), (text("hyper"), payload)])
        return write_file(path, pickle_of(root), weights.storages, legacy=legacy)

    return write


def _generator(legacy: bool) -> Stored:
    return state_dict(genuine_weights(), legacy=legacy)


def write_file(path: Path, pickled: bytes, storages: dict, *, legacy: bool) -> Path:
    if not legacy:
        return write_torch_zip(path, pickled, storages)
    write_legacy(path, pickled, storages)
    vouch(path)
    return path


def vouch(path: Path) -> None:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    path.with_name(path.name + ".sha256").write_text(f"{digest}  {path.name}\n")


def both(
    label: str, payload: Payload, expect: str, *, generator: bool = False, walked: bool = False
) -> list[Case]:
    """The payload in the zip format and in the legacy format."""
    return [
        Case(
            f"{label}-{kind}",
            payload_file(payload, legacy=kind == "legacy", generator=generator, walked=walked),
            expect,
        )
        for kind in ("zip", "legacy")
    ]


# --- building blocks --------------------------------------------------------------------------
def deep_tuple(depth: int = DEEP) -> bytes:
    return b")" + b"\x85" * depth  # EMPTY_TUPLE, then TUPLE1 around it again and again


def shared_tuple(levels: int = 60) -> bytes:
    return b")" + b"2\x86" * levels  # (t, t) with t the level below: 2**60 leaves


def deep_list(depth: int = DEEP) -> bytes:
    return MARK * depth + b"]" + b"l" * depth


def deep_dict(depth: int = DEEP) -> bytes:
    return (MARK + text("a")) * depth + EMPTY_DICT + b"d" * depth


def shared_dicts(levels: int, bottom: bytes) -> bytes:
    """``{"a": d, "b": d}`` with d the level below, ``levels`` times, over ``bottom``."""
    body = bottom + put(0) + b"0"  # each level goes to the memo, and off the stack
    for level in range(levels):
        body += dict_of([(text("a"), get(level)), (text("b"), get(level))]) + put(level + 1)
        body += b"0"
    return body + get(levels)


def newobj(module: str, attribute: str) -> bytes:
    return name(module, attribute) + b")\x81"  # cls, (), NEWOBJ


def build(target: bytes, state: bytes) -> bytes:
    return target + state + b"b"


# --- the cases, by finding ----------------------------------------------------------------------
def key_cases() -> list[Case]:
    """Segfault: a deep tuple hashed (as a key or member) recurses in C; shared tuples hash in
    exponential time."""
    # The two findings (a dict key, a frozenset member) with the 200k-deep tuple that crashed;
    # every other place that hashes with a tuple just past the limit, which an unguarded
    # reader would accept (each file carries a complete generator).
    deep, shared = deep_tuple(1000), shared_tuple()
    payloads = {
        "setitem": EMPTY_DICT + deep_tuple() + b"K\x01s",
        "setitems": EMPTY_DICT + MARK + deep + b"K\x01u",
        "dict-opcode": MARK + deep + b"K\x01d",
        "frozenset-opcode": MARK + deep_tuple() + b"\x91",
        "additems": b"\x8f" + MARK + deep + b"\x90",
        "frozenset-call": call(name("builtins", "frozenset"), list_of(deep)),
        "set-call": call(name("builtins", "set"), list_of(deep)),
        "dict-call": call(name("builtins", "dict"), list_of(tuple_of(deep, b"K\x01"))),
        "ordereddict": call(name("collections", "OrderedDict"), list_of(tuple_of(deep, b"N"))),
        "defaultdict": call(name("collections", "defaultdict"), b"N", dict_of([(deep, b"N")])),
        "placeholder-item": newobj("torch.nn", "Module") + deep + b"K\x01s",
        "shared-key": EMPTY_DICT + shared + b"K\x01s",
        "shared-member": MARK + shared + b"\x91",
        "big-int-key": EMPTY_DICT + integer(1 << 600_000) + b"K\x01s",
        "list-key": EMPTY_DICT + b"]K\x01s",
    }
    expect = "dict key or set member"
    # The key checks do not depend on the format: the two findings in both formats, the rest
    # in the zip format.
    return [
        case
        for key, payload in payloads.items()
        for case in both(f"key-{key}", payload, expect, generator=True)
        if case.name.endswith("-zip") or key in ("setitem", "frozenset-opcode")
    ]


def depth_cases() -> list[Case]:
    """Tracebacks: RecursionError on deep storage keys, deep trees, cycles; repr of shared
    structure in error messages. (str() recursed past a depth of 1000; 5000 is plenty.)"""

    def deep_key(legacy: bool) -> bytes:
        fields = [text("storage"), name("torch", "FloatStorage"), deep_list(5000), text("cpu")]
        return tensor(tuple_of(*fields, b"K\x01", *([b"N"] if legacy else [])) + b"Q", (1,))

    def deep_shape(legacy: bool) -> bytes:
        rebuild = name("torch._utils", "_rebuild_tensor_v2")
        return call(rebuild, storage_ref(legacy=legacy), integer(0), deep_list(5000), b")", b"\x89")

    def deep_type(legacy: bool) -> bytes:
        return tensor(storage_ref(deep_list(5000), legacy=legacy), (1,))

    shared_list = b"]" + b"2\x86" * 60  # a persistent id the old error message repr'd
    cycle = EMPTY_DICT + put(0) + text("a") + get(0) + b"s"
    return [
        *both("deep-storage-key", deep_key, "storage key is a list"),
        *both("deep-shape", deep_shape, "tensor shape is a list"),
        *both("shared-persistent-id", shared_list + b"Q", "persistent id of kind"),
        *both("str-of-shared-list", call(name("builtins", "str"), shared_list), r"str\(\) of"),
        *both("deep-dict-tree", deep_dict(5000), "nested too deeply", walked=True),
        *both("deep-module-tree", _module_chain(5000), "nested too deeply", walked=True),
        *both("dict-cycle", cycle, "cycle", walked=True),
        *both("module-cycle", _module_cycle(), "cycle", walked=True),
        *both("storage-type-deep", deep_type, "storage type"),
    ]


def storage_ref(storage_type: bytes | None = None, *, legacy: bool = False) -> bytes:
    fields = [text("storage"), storage_type or name("torch", "FloatStorage"), text("0")]
    fields += [text("cpu"), b"K\x01", *([b"N"] if legacy else [])]
    return tuple_of(*fields) + b"Q"


def _module_chain(depth: int) -> bytes:
    """nn.Module placeholders, each the only child of the one before."""
    module = newobj("torch.nn", "Module")
    state_open = MARK + text("_modules") + EMPTY_DICT + MARK + text("m")
    return (module + state_open) * depth + EMPTY_DICT + (b"u" + b"d" + b"b") * depth


def _module_cycle() -> bytes:
    module = newobj("torch.nn", "Module") + put(0)
    return module + dict_of([(text("_modules"), dict_of([(text("m"), get(0))]))]) + b"b"


def walk_cases() -> list[Case]:
    """Exponential walks: shared sub-objects reached along 2**n paths."""

    def leaf(legacy: bool) -> bytes:
        return dict_of([(text("w"), tensor(storage_ref(legacy=legacy), (1,)))])

    generator = _generator(legacy=False)
    return [
        *both(
            "shared-dicts",
            lambda legacy: shared_dicts(40, leaf(legacy)),
            "more than .* tensor names",
            walked=True,
        ),
        *both("shared-empty-dicts", shared_dicts(60, EMPTY_DICT), "no LaMa generator", walked=True),
        Case(
            "shared-dicts-over-generator-zip",
            lambda path: write_torch_zip(
                path, pickle_of(shared_dicts(30, generator.pickled)), generator.storages
            ),
            "more than .* tensor names",
        ),
        *both(
            "shared-modules",
            lambda legacy: _shared_modules(40, legacy),
            "more than .* tensor names",
            walked=True,
        ),
    ]


def _shared_modules(levels: int, legacy: bool) -> bytes:
    leaf = dict_of([(text("w"), tensor(storage_ref(legacy=legacy), (1,)))])
    body = newobj("torch.nn", "Conv2d") + leaf + b"b" + put(0) + b"0"
    for level in range(levels):
        children = dict_of([(text("a"), get(level)), (text("b"), get(level))])
        body += newobj("torch.nn", "Module") + dict_of([(text("_modules"), children)]) + b"b"
        body += put(level + 1) + b"0"
    return body + get(levels)


def zip_only(label: str, payload: Payload, expect: str, **where: bool) -> list[Case]:
    """Costly payloads whose handling does not depend on the format: read once."""
    return [case for case in both(label, payload, expect, **where) if case.name.endswith("-zip")]


def raw(label: str, pickled: bytes, expect: str) -> list[Case]:
    """A whole pickle of its own as the file's object (zip and legacy)."""

    def writer(legacy: bool) -> Callable[[Path], Path]:
        return lambda path: write_file(path, pickled, {}, legacy=legacy)

    return [Case(f"{label}-{kind}", writer(kind == "legacy"), expect) for kind in ("zip", "legacy")]


def colliding_ints(count: int) -> list[bytes]:
    """Distinct ints with one hash (hashes are taken mod 2**61 - 1, with no salt)."""
    return [integer(k * ((1 << 61) - 1)) for k in range(1, count + 1)]


def resource_cases() -> list[Case]:
    """Pickles that would take unbounded time or memory, and malformed ones that raised."""
    nones = MARK + b"N" * 100_000 + b"l" + put(0)
    copies = nones + (call(name("builtins", "tuple"), get(0)) + b"0") * 1000
    steps = "more than 1000000 steps"
    return [
        *zip_only("steps-nones", b"N" * 1_100_000, steps),
        *zip_only("steps-marks", MARK * 1_100_000, steps),
        *zip_only("memo-spray", b"N" + b"".join(put(i) for i in range(300_000)), "generator"),
        *both("memo-huge-index", b"N" + put(2**32 - 1), "written out of order"),
        *both("copy-amplification", copies, steps),
        *both("nested-rebuild-from-type", _nested_rebuild(5000), "of itself"),
        *zip_only(
            "hash-flood-dict",
            EMPTY_DICT + MARK + b"N".join(colliding_ints(20_000)) + b"Nu",
            "more than 10000 dict keys",
            generator=True,
        ),
        *zip_only(
            "hash-flood-set",
            b"\x8f" + MARK + b"".join(colliding_ints(20_000)) + b"\x90",
            "more than 10000 dict keys",
            generator=True,
        ),
        *both("bytes-of-a-size", call(name("builtins", "bytes"), integer(10**12)), "<size>"),
        *both("bytearray8-claim", b"\x96" + (1 << 40).to_bytes(8, "little"), "corrupt pickle"),
        *both("bytearray8", b"\x96" + (4).to_bytes(8, "little") + b"abcd", "BYTEARRAY8"),
        *both("binbytes8-claim", b"\x8e" + (1 << 60).to_bytes(8, "little"), "corrupt pickle"),
        *both("long4-claim", b"\x8b" + (2**31 - 1).to_bytes(4, "little"), "corrupt pickle"),
        *both("binunicode-claim", b"X" + (2**32 - 1).to_bytes(4, "little"), "corrupt pickle"),
        *zip_only(
            "classes", b"".join(name("torch", f"C{i}") + b"0" for i in range(17_000)), "classes"
        ),
        *both("protocol-6", b"\x80\x06N", "protocol 6"),
        *both("unknown-opcode", b"\xff", "corrupt pickle"),
        *both("int-of-5000-digits", call(name("builtins", "int"), text("9" * 5000)), "failed"),
        *both("float-of-text", call(name("builtins", "float"), text("x")), "failed"),
        *both("complex-of-list", call(name("builtins", "complex"), b"]"), "complex"),
        *both("object-with-args", call(name("builtins", "object"), b"N"), "failed"),
        *both("call-of-text", text("x") + b")R", "a call of 'x'"),
        *both("call-with-list", name("builtins", "int") + b"]R", "call arguments are a list"),
        *both("append-to-text", text("x") + b"Na", "APPEND to 'x'"),
        *both("setitem-on-list", b"]NNs", "SETITEM on a list"),
        *both("additems-to-dict", b"}(N\x90", "ADDITEMS to"),
        *both("stack-global-ints", b"K\x01K\x02\x93", "STACK_GLOBAL of 1 and 2"),
        *both("python2-latin1", b"U\x02\xff\xfe", "not UTF-8"),
        *both("newobj-ex-kwargs", name("builtins", "int") + b")" + _kwargs() + b"\x92", "NEWOBJ"),
        *both("newobj-of-function", name("_codecs", "encode") + b")\x81", "NEWOBJ of"),
        *both(
            "defaultdict-factory", call(name("collections", "defaultdict"), text("x")), "factory"
        ),
        *raw("stack-underflow", b"\x80\x02R.", "stack underflow"),
        *raw("tuple-without-mark", b"\x80\x02t.", "no MARK"),
        *raw("memo-unwritten", b"\x80\x02h\x05.", "memo entry 5"),
        *raw("ext1", b"\x80\x02\x82\x01.", "EXT1"),
        *raw("string-persistent-id", b"\x80\x02P0\n.", "persistent id is '0'"),
        *raw("no-stop", b"\x80\x02N", "corrupt pickle"),
        *raw("obj-without-class", b"\x80\x02(o.", "OBJ without a class"),
    ]


def _nested_rebuild(depth: int) -> bytes:
    """``_rebuild_from_type_v2(_rebuild_from_type_v2, None, (...), None)``, ``depth`` deep."""
    rebuild = name("torch._tensor", "_rebuild_from_type_v2")
    args = tuple_of(name("builtins", "int"), b"N", b")", b"N")
    for _ in range(depth):
        args = tuple_of(rebuild, b"N", args, b"N")
    return rebuild + args + b"R"


def _kwargs() -> bytes:
    return dict_of([(text("x"), b"K\x01")])


def pickle_cases() -> list[Case]:
    return [*key_cases(), *depth_cases(), *walk_cases(), *resource_cases()]
