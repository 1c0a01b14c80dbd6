"""The checker's nodes: what a TOML value may be, and the one-line error when it is not.

A schema is a tree of ``String``, ``Boolean``, ``Integer``, ``ListOf``, ``MapOf``, ``OneOf``,
``Table`` and ``Record`` nodes; ``rvwheels.schema.derive`` grows it from a dataclass. ``check``
returns the value with lists as tuples and tables as their dataclasses. Nothing is coerced: a
string is quoted, a boolean is ``true``/``false``, a number is bare.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from rvwheels.errors import RvwheelsError
from rvwheels.schema.keypath import KeyPath, describe, did_you_mean, show
from rvwheels.schema.placeholders import placeholders_in

# A value check returns None when the value is fine, else (problem, fix).
ValueCheck = Callable[[str], "tuple[str, str] | None"]

MAX_LINE = 4096  # characters in a one-line string
MAX_TEXT = 65536  # characters in a multi-line one (an inline test program)
_CONTROL_LINE = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # tabs and newlines are text
_ELLIPSIS = '"…"'  # a placeholder string value in examples


class Node(Protocol):
    expected: str  # in words, e.g. "a list of strings"
    example: str  # in TOML, e.g. '["…"]'

    def accepts(self, value: object) -> bool: ...  # the right type, whatever is inside

    def check(self, value: object, at: KeyPath) -> Any: ...


def wrong_type(value: object, node: Node, at: KeyPath) -> RvwheelsError:
    problem = f"expected {node.expected}, got {describe(value)}"
    return at.error(problem=problem, fix=_type_fix(value, node, at))


def _type_fix(value: object, node: Node, at: KeyPath) -> str:
    takes_string = any(isinstance(option, String) for option in _options(node))
    if isinstance(value, float) and takes_string:
        # TOML reads an unquoted 1.10 as the float 1.1: only quotes keep what was meant.
        return f"put it in quotes: {at.assign(_ELLIPSIS)} (TOML reads a bare 1.10 as 1.1)"
    if isinstance(value, int) and not isinstance(value, bool) and takes_string:
        return f"put it in quotes: {at.assign(show(str(value)))}"
    if isinstance(value, str) and isinstance(node, Integer) and value.isdigit():
        return f"remove the quotes: {at.assign(value)}"
    if isinstance(node, Boolean):
        return f"write {at.assign('true')} or {at.assign('false')}, without quotes"
    if isinstance(node, ListOf) and isinstance(_unwrapped(node.items), Table | Record):
        return f"write each entry as a [[{at.dotted}]] section"
    if isinstance(node, Table | Record):
        in_list = at.parts[-1].endswith("]")
        name = ".".join(part.split("[", 1)[0] for part in at.parts)
        return f"write it as a [[{name}]] section" if in_list else f"write it as a [{name}] section"
    return f"write {at.assign(node.example)}"


def _options(node: Node) -> tuple[Node, ...]:
    node = _unwrapped(node)
    return node.alternatives if isinstance(node, OneOf) else (node,)


def _unwrapped(node: Node) -> Node:
    return node.node if isinstance(node, Converted) else node


@dataclass(frozen=True, kw_only=True)
class String:
    choices: tuple[str, ...] = ()
    allow_empty: bool = False
    valid: ValueCheck | None = None
    placeholders: tuple[str, ...] = ()  # the {name}s this key may use
    free_braces: bool = False  # other {name}s are the user's own text (Python code)
    multiline: bool = False
    expected: str = "a string"
    example: str = _ELLIPSIS

    def accepts(self, value: object) -> bool:
        return isinstance(value, str)

    def check(self, value: object, at: KeyPath) -> str:
        if not isinstance(value, str):
            raise wrong_type(value, self, at)
        _check_characters(value, at, multiline=self.multiline)
        if not value and not self.allow_empty:
            raise at.error(problem="is empty", fix=f"give {at.key} a value")
        if self.choices and value not in self.choices:
            hint = did_you_mean(value, self.choices)
            allowed = f"choose one of: {', '.join(self.choices)}"
            raise at.error(problem=f"unknown value {show(value)}", fix=f"{hint} {allowed}".strip())
        if not self.free_braces:
            _check_placeholders(value, self.placeholders, at)
        if self.valid is not None and (complaint := self.valid(value)) is not None:
            raise at.error(problem=complaint[0], fix=complaint[1])
        return value


def _check_characters(value: str, at: KeyPath, *, multiline: bool) -> None:
    limit = MAX_TEXT if multiline else MAX_LINE
    if len(value) > limit:
        raise at.error(problem=f"is {len(value)} characters long", fix=f"keep it to {limit}")
    if "\0" in value:
        raise at.error(problem="contains a NUL character", fix="remove it")
    control = (_CONTROL_TEXT if multiline else _CONTROL_LINE).search(value)
    if control is not None:
        code = f"U+{ord(control.group()):04X}"
        raise at.error(problem=f"contains the control character {code}", fix="write it on one line")


def _check_placeholders(value: str, allowed: tuple[str, ...], at: KeyPath) -> None:
    for name in placeholders_in(value):
        if name in allowed:
            continue
        if not allowed:
            problem = f"{{{name}}} is not a placeholder here"
            raise at.error(problem=problem, fix="this key takes none; write the value out")
        braced = [f"{{{option}}}" for option in allowed]
        hint = did_you_mean(f"{{{name}}}", braced)
        fix = f"{hint} placeholders here: {', '.join(braced)}".strip()
        raise at.error(problem=f"unknown placeholder {{{name}}}", fix=fix)


@dataclass(frozen=True, kw_only=True)
class Boolean:
    expected: str = "a boolean"
    example: str = "true"

    def accepts(self, value: object) -> bool:
        return isinstance(value, bool)

    def check(self, value: object, at: KeyPath) -> bool:
        if not isinstance(value, bool):
            raise wrong_type(value, self, at)
        return value


@dataclass(frozen=True, kw_only=True)
class Integer:
    minimum: int | None = None
    maximum: int | None = None
    expected: str = "a whole number"
    example: str = "60"

    def accepts(self, value: object) -> bool:
        # bool is a subclass of int in Python; TOML's true is not a number.
        return isinstance(value, int) and not isinstance(value, bool)

    def check(self, value: object, at: KeyPath) -> int:
        if not self.accepts(value):
            raise wrong_type(value, self, at)
        assert isinstance(value, int)
        if self.minimum is not None and value < self.minimum:
            raise at.error(problem=f"{value} is too small", fix=f"use a number >= {self.minimum}")
        if self.maximum is not None and value > self.maximum:
            raise at.error(problem=f"{value} is too large", fix=f"use a number <= {self.maximum}")
        return value


@dataclass(frozen=True)
class ListOf:
    items: Node
    min_items: int = 0
    unique: bool = False

    @property
    def expected(self) -> str:
        return f"a list of {plural(self.items.expected)}"

    @property
    def example(self) -> str:
        return f"[{self.items.example}]"

    def accepts(self, value: object) -> bool:
        return isinstance(value, list)

    def check(self, value: object, at: KeyPath) -> tuple[Any, ...]:
        if not isinstance(value, list):
            raise wrong_type(value, self, at)
        if len(value) < self.min_items:
            fix = f"list at least one entry: {at.key} = {self.example}"
            raise at.error(problem="is empty", fix=fix)
        checked = tuple(self.items.check(item, at.item(i)) for i, item in enumerate(value))
        if self.unique:
            for i, item in enumerate(checked):
                if item in checked[:i]:
                    problem = f"{show(item)} is listed twice"
                    raise at.item(i).error(problem=problem, fix="remove the repeat")
        return checked


@dataclass(frozen=True)
class OneOf:
    alternatives: tuple[Node, ...]

    @property
    def expected(self) -> str:
        *head, last = (alternative.expected for alternative in self.alternatives)
        return f"{', '.join(head)} or {last}"

    @property
    def example(self) -> str:
        return self.alternatives[0].example

    def accepts(self, value: object) -> bool:
        return any(alternative.accepts(value) for alternative in self.alternatives)

    def check(self, value: object, at: KeyPath) -> Any:
        for alternative in self.alternatives:
            if alternative.accepts(value):
                return alternative.check(value, at)
        raise wrong_type(value, self, at)


@dataclass(frozen=True)
class MapOf:
    """A table whose keys the user chooses (environment variables, Meson properties…)."""

    values: Node
    keys: String = field(default_factory=String)
    expected: str = "a table"

    @property
    def example(self) -> str:
        return "{ KEY = " + self.values.example + " }"

    def accepts(self, value: object) -> bool:
        return isinstance(value, dict)

    def check(self, value: object, at: KeyPath) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise wrong_type(value, self, at)
        checked = {}
        for key, item in value.items():
            self.keys.check(key, at.child(key))
            checked[key] = self.values.check(item, at.child(key))
        return checked


@dataclass(frozen=True)
class Converted:
    """``node``'s value passed through ``convert`` (a str to a Path, names to normalised ones)."""

    node: Node
    convert: Callable[[Any], Any]

    @property
    def expected(self) -> str:
        return self.node.expected

    @property
    def example(self) -> str:
        return self.node.example

    def accepts(self, value: object) -> bool:
        return self.node.accepts(value)

    def check(self, value: object, at: KeyPath) -> Any:
        return self.convert(self.node.check(value, at))


_NO_DEFAULT = object()


@dataclass(frozen=True)
class Key:
    """One key of a Table: its TOML name, its node, and the dataclass field it fills."""

    name: str
    node: Node
    required: bool = False
    field: str | None = None
    group: bool = False  # node is a Table whose own keys fill fields of the same class
    doc: str = ""
    default: object = _NO_DEFAULT  # for the docs

    @property
    def has_default(self) -> bool:
        return self.default is not _NO_DEFAULT


@dataclass(frozen=True)
class Table:
    """A table with fixed keys; any other key is an error with a suggestion."""

    keys: tuple[Key, ...]
    hints: Mapping[str, str] = field(default_factory=dict)  # an old key name -> what to write
    expected: str = "a table"
    example: str = "{ … }"

    def accepts(self, value: object) -> bool:
        return isinstance(value, dict)

    def key(self, name: str) -> Key:
        return next(key for key in self.keys if key.name == name)

    def with_keys(self, *keys: Key, all_optional: bool = False) -> Table:
        mine = tuple(replace(key, required=False) if all_optional else key for key in self.keys)
        return replace(self, keys=(*mine, *keys))

    def check(self, value: object, at: KeyPath) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise wrong_type(value, self, at)
        known = {key.name: key for key in self.keys}
        for name in value:
            if name not in known:
                raise self._unknown_key(name, at)
        for key in self.keys:
            if key.required and key.name not in value:
                raise _missing_key(key.node, at.child(key.name))
        return {name: known[name].node.check(item, at.child(name)) for name, item in value.items()}

    def fields(self, checked: Mapping[str, Any]) -> dict[str, Any]:
        """The dataclass keyword arguments a checked table gives (a group's keys included)."""
        kwargs = {}
        for key in self.keys:
            if key.name not in checked:
                continue
            if key.group:
                kwargs.update(key.node.fields(checked[key.name]))  # type: ignore[attr-defined]
            elif key.field is not None:
                kwargs[key.field] = checked[key.name]
        return kwargs

    def _unknown_key(self, name: str, at: KeyPath) -> RvwheelsError:
        names = [key.name for key in self.keys]
        dashed = name.replace("_", "-")
        if name in self.hints:
            fix = self.hints[name]
        elif dashed != name and dashed in names:
            fix = f"keys are spelled with dashes: write {dashed}"
        else:
            section = f"[{at.dotted}]" if at.parts else "the top level"
            fix = did_you_mean(name, names) or f"remove it ({section} allows: {', '.join(names)})"
        return at.child(name).error(problem="unknown key", fix=fix)


@dataclass(frozen=True)
class Record:
    """A Table made into an object: ``build`` gets the fields, ``validate`` the rules that
    span keys (it raises ``at.error``)."""

    table: Table
    build: Callable[..., Any]
    validate: Callable[[Any, KeyPath], None] | None = None
    expected: str = "a table"
    example: str = "{ … }"

    def accepts(self, value: object) -> bool:
        return isinstance(value, dict)

    def check(self, value: object, at: KeyPath) -> Any:
        made = self.build(**self.table.fields(self.table.check(value, at)))
        if self.validate is not None:
            self.validate(made, at)
        return made


def plural(expected: str) -> str:
    """'a string' -> 'strings', 'a list of strings' -> 'lists of strings'."""
    noun = expected.removeprefix("a ").removeprefix("an ")
    head, of, tail = noun.partition(" of ")
    return f"{head}s{of}{tail}"


def _missing_key(node: Node, at: KeyPath) -> RvwheelsError:
    if isinstance(node, Table | Record):
        return at.error(problem="missing required table", fix=f"add a [{at.dotted}] section")
    place = f" under {at.section}" if at.section else ""
    return at.error(problem="missing required key", fix=f"add {at.key} = {node.example}{place}")
