"""Markdown key tables for a schema, so the docs are generated from the same dataclasses as the
checker (recipes/FORMAT.md's key reference; a test fails when it is stale)."""

from __future__ import annotations

from collections.abc import Iterator

from rvwheels.schema.keypath import show
from rvwheels.schema.nodes import (
    Converted,
    Key,
    ListOf,
    MapOf,
    Node,
    OneOf,
    Record,
    String,
    Table,
    plural,
)


def key_tables(table: Table, *, title: str = "top level") -> str:
    """One markdown table per TOML table, the top level first, nested tables after."""
    return "\n\n".join(_sections(table, header=title, dotted=""))


def placeholder_keys(table: Table, prefix: str = "") -> Iterator[tuple[str, tuple[str, ...]]]:
    """(dotted key, placeholders) for every key whose strings may hold placeholders."""
    for key in table.keys:
        found: dict[str, tuple[str, ...]] = {}
        for dotted, names in _placeholders_below(key.node, f"{prefix}{key.name}"):
            found[dotted] = tuple(dict.fromkeys([*found.get(dotted, ()), *names]))
        yield from found.items()


def _sections(table: Table, *, header: str, dotted: str) -> list[str]:
    rows, nested = [], []
    for key in table.keys:
        where = f"{dotted}.{key.name}" if dotted else key.name
        sub = _sub_table(_unwrap(key.node), where)
        if sub is None:
            rows.append(_row(key, _type(key.node), _placeholder_note(key)))
            continue
        sub_header, sub_table = sub
        rows.append(_row(key, f"table, see `{sub_header}`", ""))
        nested += _sections(sub_table, header=f"`{sub_header}`", dotted=where)
    lines = [
        f"#### {header}",
        "",
        "| key | type | default | meaning |",
        "| --- | --- | --- | --- |",
    ]
    return ["\n".join(lines + rows), *nested]


def _sub_table(node: Node, where: str) -> tuple[str, Table] | None:
    """The header and table of a nested table: [x], [[x]] or [x.NAME]."""
    if isinstance(node, Record):
        return f"[{where}]", node.table
    if isinstance(node, Table):
        return f"[{where}]", node
    if isinstance(node, ListOf) and isinstance(_unwrap(node.items), Record | Table):
        return f"[[{where}]]", _as_table(_unwrap(node.items))
    if isinstance(node, MapOf) and isinstance(_unwrap(node.values), Record | Table):
        return f"[{where}.NAME]", _as_table(_unwrap(node.values))
    return None


def _as_table(node: Node) -> Table:
    return node.table if isinstance(node, Record) else node  # type: ignore[return-value]


def _unwrap(node: Node) -> Node:
    return node.node if isinstance(node, Converted) else node


def _placeholder_note(key: Key) -> str:
    names = {name for _, names in _placeholders_below(key.node, key.name) for name in names}
    return ("placeholders: " + ", ".join(f"`{{{n}}}`" for n in sorted(names))) if names else ""


def _row(key: Key, kind: str, note: str) -> str:
    if key.required:
        default = "required"
    elif not key.has_default or key.default is None:
        default = "not set"
    else:
        default = f"`{_toml(key.default)}`"
    notes = [text for text in (key.doc, note) if text]
    return f"| `{key.name}` | {kind} | {default} | {'; '.join(notes)} |"


def _type(node: Node, *, many: bool = False) -> str:
    """The type in words; ``many``: in the plural ("strings", "lists of strings")."""
    node = _unwrap(node)
    if isinstance(node, String) and node.choices:
        return "one of " + ", ".join(f"`{choice}`" for choice in node.choices)
    if isinstance(node, ListOf) and isinstance(node.items, String) and node.items.choices:
        return "list of " + ", ".join(f"`{choice}`" for choice in node.items.choices)
    if isinstance(node, MapOf):
        return f"table{'s' if many else ''} of {_type(node.values, many=True)}"
    if isinstance(node, OneOf):
        *head, last = (_type(option, many=many) for option in node.alternatives)
        return f"{', '.join(head)} or {last}"
    return plural(node.expected) if many else node.expected.removeprefix("a ")


def _toml(value: object) -> str:
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{}" if not value else "{ … }"
    if hasattr(value, "__dataclass_fields__"):
        return "{}"  # a table whose own keys have their defaults
    return show(value)


def _placeholders_below(node: Node, dotted: str) -> Iterator[tuple[str, tuple[str, ...]]]:
    if isinstance(node, Converted):
        yield from _placeholders_below(node.node, dotted)
    elif isinstance(node, Record | Table):
        yield from placeholder_keys(_as_table(node), f"{dotted}.")
    elif isinstance(node, ListOf):
        yield from _placeholders_below(node.items, dotted)
    elif isinstance(node, MapOf):
        yield from _placeholders_below(node.values, dotted)
    elif isinstance(node, OneOf):
        for alternative in node.alternatives:
            yield from _placeholders_below(alternative, dotted)
    elif isinstance(node, String) and node.placeholders:
        yield dotted, node.placeholders
