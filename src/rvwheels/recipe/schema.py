"""A small, table-driven checker for parsed TOML, with one-line errors that say how to fix them.

A schema is a tree of ``String``, ``Boolean``, ``Integer``, ``ListOf``, ``MapOf``, ``OneOf`` and
``Table`` nodes. ``check`` walks a parsed document with it and returns the same data with lists
turned into tuples; anything wrong becomes a ``RecipeError`` that names the file, the dotted key
and the fix. Nothing here knows about recipes or packages: the recipe schema lives in the loader.

We write this by hand instead of using attrs/cattrs/pydantic because the messages are the point
(cattrs reports internal class names, and coerces ``1.10`` to ``'1.1'`` and ``"no"`` to ``True``)
and because the tool must stay pure Python with few dependencies so it installs on riscv64.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from rvwheels.errors import RecipeError

# A value check returns None when the value is fine, else (problem, fix).
ValueCheck = Callable[[str], "tuple[str, str] | None"]

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_ELLIPSIS = '"…"'  # a placeholder string value in examples


def did_you_mean(word: str, options: Iterable[str]) -> str:
    """ "did you mean 'x'?" for the closest option, or "" when nothing is close."""
    options = list(options)
    matches = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    # difflib misses short prefixes ("meson" for "meson-python"); a unique prefix is a fine guess.
    prefixed = [option for option in options if word and option.startswith(word)]
    if not matches and len(prefixed) == 1:
        matches = prefixed
    return f"did you mean '{matches[0]}'?" if matches else ""


def show(value: object) -> str:
    """A value as it would be written in TOML, always on one line."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def describe(value: object) -> str:
    """What a user wrote, in words: 'the string "no"', 'the number 2.4', 'a table'."""
    if isinstance(value, bool):
        return f"the boolean {show(value)}"
    if isinstance(value, str):
        return f"the string {show(value)}"
    if isinstance(value, int | float):
        return f"the bare number {value}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return f"a {type(value).__name__} ({value})"


@dataclass(frozen=True)
class KeyPath:
    """Where a value sits: the file and the keys leading to it, e.g. build.config-settings."""

    file: Path
    parts: tuple[str, ...] = ()

    def child(self, key: str) -> KeyPath:
        return KeyPath(self.file, (*self.parts, key if _BARE_KEY.fullmatch(key) else show(key)))

    def item(self, index: int) -> KeyPath:
        *head, last = self.parts
        return KeyPath(self.file, (*head, f"{last}[{index}]"))

    @property
    def dotted(self) -> str:
        return ".".join(self.parts)

    @property
    def key(self) -> str:
        """The last key, without any [index]: what the user types before '='."""
        return self.parts[-1].split("[", 1)[0] if self.parts else ""

    def assign(self, value: str) -> str:
        """How the value is written here: 'key = value', or just 'value' inside a list."""
        return value if self.parts and self.parts[-1].endswith("]") else f"{self.key} = {value}"

    @property
    def section(self) -> str:
        """The header of the table that holds this key: '[build]', '[[requires.library]]'."""
        name = ".".join(part.split("[", 1)[0] for part in self.parts[:-1])
        in_array = len(self.parts) > 1 and self.parts[-2].endswith("]")
        return f"[[{name}]]" if in_array else f"[{name}]" if name else ""

    def error(self, *, problem: str, fix: str) -> RecipeError:
        where = f"{self.file}: {self.dotted}: " if self.parts else f"{self.file}: "
        return RecipeError(" ".join(f"{where}{problem}; {fix}".splitlines()))


class Schema(Protocol):
    expected: str  # in words, e.g. "a list of strings"
    example: str  # in TOML, e.g. '["…"]'

    def check(self, value: object, at: KeyPath) -> object: ...


class _WrongType(RecipeError):
    """The value at ``at`` has the wrong type: the signal for OneOf to try its next alternative."""

    def __init__(self, message: str, at: KeyPath) -> None:
        super().__init__(message)
        self.at = at


def _wrong_type(value: object, schema: Schema, at: KeyPath) -> _WrongType:
    problem = f"expected {schema.expected}, got {describe(value)}"
    if isinstance(value, float) and "string" in schema.expected:
        # TOML reads an unquoted 1.10 as the float 1.1: only quotes keep what was meant.
        fix = f"put it in quotes: {at.assign(_ELLIPSIS)} (TOML reads a bare 1.10 as 1.1)"
    elif isinstance(value, int) and not isinstance(value, bool) and "string" in schema.expected:
        fix = f"put it in quotes: {at.assign(show(str(value)))}"
    elif isinstance(value, str) and isinstance(schema, Integer) and value.isdigit():
        fix = f"remove the quotes: {at.assign(value)}"
    elif schema.expected == "a boolean":
        fix = f"write {at.assign('true')} or {at.assign('false')}, without quotes"
    elif isinstance(schema, ListOf) and isinstance(schema.items, Table):
        fix = f"write each entry as a [[{at.dotted}]] section"
    else:
        fix = f"write {at.assign(schema.example)}"
    return _WrongType(at.error(problem=problem, fix=fix).message, at)


@dataclass(frozen=True, kw_only=True)
class String:
    choices: tuple[str, ...] = ()
    allow_empty: bool = False
    valid: ValueCheck | None = None
    expected: str = "a string"
    example: str = _ELLIPSIS

    def check(self, value: object, at: KeyPath) -> str:
        if not isinstance(value, str):
            raise _wrong_type(value, self, at)
        if not value and not self.allow_empty:
            raise at.error(problem="is empty", fix=f"give {at.key} a value")
        if self.choices and value not in self.choices:
            hint = did_you_mean(value, self.choices)
            allowed = f"choose one of: {', '.join(self.choices)}"
            raise at.error(problem=f"unknown value {show(value)}", fix=f"{hint} {allowed}".strip())
        if self.valid is not None and (complaint := self.valid(value)) is not None:
            raise at.error(problem=complaint[0], fix=complaint[1])
        return value


@dataclass(frozen=True, kw_only=True)
class Boolean:
    expected: str = "a boolean"
    example: str = "true"

    def check(self, value: object, at: KeyPath) -> bool:
        if not isinstance(value, bool):
            raise _wrong_type(value, self, at)
        return value


@dataclass(frozen=True, kw_only=True)
class Integer:
    minimum: int | None = None
    expected: str = "a whole number"
    example: str = "60"

    def check(self, value: object, at: KeyPath) -> int:
        # bool is a subclass of int in Python; TOML's true is not a number.
        if not isinstance(value, int) or isinstance(value, bool):
            raise _wrong_type(value, self, at)
        if self.minimum is not None and value < self.minimum:
            raise at.error(problem=f"{value} is too small", fix=f"use a number >= {self.minimum}")
        return value


@dataclass(frozen=True)
class ListOf:
    items: Schema
    min_items: int = 0
    unique: bool = False

    @property
    def expected(self) -> str:
        return f"a list of {_plural(self.items.expected)}"

    @property
    def example(self) -> str:
        return f"[{self.items.example}]"

    def check(self, value: object, at: KeyPath) -> tuple[object, ...]:
        if not isinstance(value, list):
            raise _wrong_type(value, self, at)
        if len(value) < self.min_items:
            raise at.error(
                problem="is empty", fix=f"list at least one entry: {at.key} = {self.example}"
            )
        checked = tuple(self.items.check(item, at.item(i)) for i, item in enumerate(value))
        if self.unique:
            for i, item in enumerate(checked):
                if item in checked[:i]:
                    raise at.item(i).error(
                        problem=f"{show(item)} is listed twice", fix="remove the repeat"
                    )
        return checked


@dataclass(frozen=True)
class OneOf:
    alternatives: tuple[Schema, ...]

    @property
    def expected(self) -> str:
        *head, last = (alternative.expected for alternative in self.alternatives)
        return f"{', '.join(head)} or {last}"

    @property
    def example(self) -> str:
        return self.alternatives[0].example

    def check(self, value: object, at: KeyPath) -> object:
        for alternative in self.alternatives:
            try:
                return alternative.check(value, at)
            except _WrongType as error:
                if error.at != at:  # the type was right, something inside it was wrong
                    raise
        raise _wrong_type(value, self, at)


@dataclass(frozen=True)
class MapOf:
    """A table whose keys the user chooses (environment variables, Meson properties…)."""

    values: Schema
    keys: String = field(default_factory=String)
    expected: str = "a table"

    @property
    def example(self) -> str:
        return "{ KEY = " + self.values.example + " }"

    def check(self, value: object, at: KeyPath) -> dict[str, object]:
        if not isinstance(value, dict):
            raise _wrong_type(value, self, at)
        checked = {}
        for key, item in value.items():
            self.keys.check(key, at.child(key))
            checked[key] = self.values.check(item, at.child(key))
        return checked


@dataclass(frozen=True)
class Table:
    """A table with fixed keys; any other key is an error with a suggestion."""

    required: Mapping[str, Schema] = field(default_factory=dict)
    optional: Mapping[str, Schema] = field(default_factory=dict)
    expected: str = "a table"
    example: str = "{ … }"

    def check(self, value: object, at: KeyPath) -> dict[str, object]:
        if not isinstance(value, dict):
            problem = f"expected a table, got {describe(value)}"
            fix = f"write it as a [{at.dotted}] section"
            raise _WrongType(at.error(problem=problem, fix=fix).message, at)
        fields = {**self.required, **self.optional}
        for key in value:
            if key not in fields:
                raise _unknown_key(key, fields, at)
        for key, schema in self.required.items():
            if key not in value:
                raise _missing_key(schema, at.child(key))
        return {key: fields[key].check(item, at.child(key)) for key, item in value.items()}


def _plural(expected: str) -> str:
    """'a string' -> 'strings', 'a list of strings' -> 'lists of strings'."""
    noun = expected.removeprefix("a ").removeprefix("an ")
    head, of, tail = noun.partition(" of ")
    return f"{head}s{of}{tail}"


def _unknown_key(key: str, fields: Mapping[str, Schema], at: KeyPath) -> RecipeError:
    section = f"[{at.dotted}]" if at.parts else "the top level"
    fix = did_you_mean(key, fields) or f"remove it ({section} allows: {', '.join(fields)})"
    return at.child(key).error(problem="unknown key", fix=fix)


def _missing_key(schema: Schema, at: KeyPath) -> RecipeError:
    if isinstance(schema, Table):
        return at.error(problem="missing required table", fix=f"add a [{at.dotted}] section")
    place = f" under {at.section}" if at.section else ""
    return at.error(problem="missing required key", fix=f"add {at.key} = {schema.example}{place}")


def check(document: Mapping[str, object], schema: Table, file: Path) -> dict[str, Any]:
    """Validate a parsed TOML document; returns it with lists as tuples. Raises RecipeError."""
    return schema.check(dict(document), KeyPath(file))
