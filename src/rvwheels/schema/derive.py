"""Grow the checker from a frozen dataclass: its field types, defaults and ``toml(...)`` metadata
are the one place a file's keys are written down.

A field's TOML key is its name with dashes (``config_settings`` is ``config-settings``) unless
``toml(key=...)`` says otherwise. A field without a default is a required key; so is one marked
``required=True``. Types map to nodes: ``str`` and ``Path`` to String, ``bool``, ``int``,
``tuple[X, ...]`` to a list, ``dict[str, X]``/``Mapping`` to a table of the user's keys,
``X | None`` to an optional key, a union to the first alternative of the value's type, a
dataclass to a table built into that class. A class may check rules that span its keys in a
``validate(self, at)`` method.

We derive our own checker instead of using cattrs (pyodide-build's choice): cattrs reports
internal class names, coerces ``1.10`` to ``'1.1'`` and ``"no"`` to ``True``, and its messages
name no file; here the messages are the point, and the tool stays pure Python for riscv64.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from rvwheels.schema.nodes import (
    Boolean,
    Converted,
    Integer,
    Key,
    ListOf,
    MapOf,
    Node,
    OneOf,
    Record,
    String,
    Table,
    ValueCheck,
)

_META = "toml"


@dataclasses.dataclass(frozen=True, kw_only=True)
class Meta:
    """How one dataclass field is written in TOML (see ``toml``)."""

    key: str | None = None
    doc: str = ""
    required: bool = False
    internal: bool = False  # not read from the file: the loader fills it
    group: str | None = None  # written inside this sub-table ([package] name, version)
    # strings (for a list or table: its strings)
    choices: tuple[str, ...] = ()
    check: ValueCheck | None = None
    allow_empty: bool = False
    placeholders: tuple[str, ...] = ()
    free_braces: bool = False
    multiline: bool = False
    # numbers, lists, tables of the user's keys
    minimum: int | None = None
    maximum: int | None = None
    min_items: int = 0
    unique: bool = False
    keys: String | None = None
    # tuples of dataclasses: written as a table keyed by this field ([build.variants.NAME])
    keyed_by: str | None = None
    # a dataclass table that takes only these keys, all required ([[adopt.deb]]: url, sha256)
    only: tuple[str, ...] = ()
    node: Node | None = None  # the node, when no type says it (a string or a list of them)
    convert: Callable[[Any], Any] | None = None  # applied to the checked value
    renamed: Mapping[str, str] = dataclasses.field(default_factory=dict)  # old key -> hint


def toml(
    default: Any = dataclasses.MISSING, *, default_factory: Any = dataclasses.MISSING, **meta: Any
) -> Any:
    """A dataclass field with its TOML metadata (keyword arguments of ``Meta``)."""
    return dataclasses.field(
        default=default, default_factory=default_factory, metadata={_META: Meta(**meta)}
    )


def internal(default: Any = dataclasses.MISSING, *, doc: str = "") -> Any:
    """A field the loader fills (the file's path, its digest), never a key of the file."""
    return dataclasses.field(default=default, metadata={_META: Meta(internal=True, doc=doc)})


def meta_of(field: dataclasses.Field) -> Meta:
    return field.metadata.get(_META, Meta())


def toml_key(field: dataclasses.Field) -> str:
    return meta_of(field).key or field.name.replace("_", "-")


@functools.cache
def table_for(cls: type, *, only: tuple[str, ...] = (), exclude: tuple[str, ...] = ()) -> Table:
    """The Table of ``cls``'s TOML keys; ``only`` keeps just those keys, each required."""
    hints = typing.get_type_hints(cls)
    keys: list[Key] = []
    groups: dict[str, list[Key]] = {}
    renamed: dict[str, str] = {}
    for f in dataclasses.fields(cls):
        meta = meta_of(f)
        name = toml_key(f)
        if meta.internal or f.name in exclude or (only and name not in only):
            continue
        key = _key(f, meta, name, hints[f.name], force_required=bool(only))
        if meta.group is None:
            keys.append(key)
        else:
            groups.setdefault(meta.group, []).append(key)
        renamed.update(meta.renamed)
    for group, members in groups.items():
        required = any(member.required for member in members)
        keys.insert(0, Key(group, Table(tuple(members)), required=required, group=True))
    return Table(tuple(keys), hints=renamed)


@functools.cache
def record_for(cls: type, *, only: tuple[str, ...] = ()) -> Record:
    """The node that checks a table and makes it into a ``cls``."""
    validate = getattr(cls, "validate", None)
    return Record(table_for(cls, only=only), build=cls, validate=validate)


def _key(f: dataclasses.Field, meta: Meta, name: str, tp: Any, *, force_required: bool) -> Key:
    has_default = (
        f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
    )
    default = f.default if f.default is not dataclasses.MISSING else dataclasses.MISSING
    if f.default_factory is not dataclasses.MISSING:
        default = f.default_factory()
    node = node_for(tp, meta)
    if meta.convert is not None:
        node = Converted(node, meta.convert)
    required = force_required or meta.required or not has_default
    extra = {} if default is dataclasses.MISSING else {"default": default}
    return Key(name, node, required=required, field=f.name, doc=meta.doc, **extra)


def node_for(tp: Any, meta: Meta) -> Node:
    """The node for a value of type ``tp``; ``meta``'s string options go to its strings."""
    if meta.node is not None:
        return meta.node
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is str:
        return _string(meta)
    if tp is Path:
        return Converted(_string(meta), Path)
    if tp is bool:
        return Boolean()
    if tp is int:
        return Integer(minimum=meta.minimum, maximum=meta.maximum)
    if origin in (types.UnionType, typing.Union):
        options = [arg for arg in args if arg is not type(None)]
        if len(options) == 1:
            return node_for(options[0], meta)
        return OneOf(tuple(node_for(option, meta) for option in options))
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return _sequence(args[0], meta)
    if origin in (dict, Mapping) and args[0] is str:
        return MapOf(node_for(args[1], meta), keys=meta.keys or String())
    if dataclasses.is_dataclass(tp):
        return record_for(tp, only=meta.only)
    msg = f"no TOML schema for the type {tp!r}"
    raise TypeError(msg)


def _string(meta: Meta) -> String:
    return String(
        choices=meta.choices,
        allow_empty=meta.allow_empty,
        valid=meta.check,
        placeholders=meta.placeholders,
        free_braces=meta.free_braces,
        multiline=meta.multiline,
    )


def _sequence(item: Any, meta: Meta) -> Node:
    if meta.keyed_by is not None:
        return _keyed_records(item, meta)
    inner = node_for(item, dataclasses.replace(meta, min_items=0, unique=False))
    return ListOf(inner, min_items=meta.min_items, unique=meta.unique)


def _keyed_records(cls: type, meta: Meta) -> Node:
    """``[table.NAME]`` sub-tables made into a tuple of ``cls``, each with its NAME."""
    by = meta.keyed_by
    assert by is not None
    table = table_for(cls, exclude=(by,))

    def build(entries: Mapping[str, Mapping[str, Any]]) -> tuple[Any, ...]:
        return tuple(cls(**{by: name}, **table.fields(entry)) for name, entry in entries.items())

    return Converted(MapOf(table, keys=meta.keys or String()), build)


def structure(cls: type, document: object, at: Any, **filled: Any) -> Any:
    """Check ``document`` against ``cls`` and make it one; ``filled`` gives its internal fields."""
    record = record_for(cls)
    made = cls(**record.table.fields(record.table.check(document, at)), **filled)
    if record.validate is not None:
        record.validate(made, at)
    return made
