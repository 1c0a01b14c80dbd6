"""The recipe file's schema, derived from the typed spec (rvwheels.recipe.spec).

``RECIPE`` holds the tables of one recipe ([package], [source], [build], …); ``DOCUMENT`` adds
``[[overrides]]``, whose entries name Pythons and give whole tables that replace the recipe's.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from rvwheels.recipe.spec import BuildSpec, Recipe
from rvwheels.schema import table_for
from rvwheels.schema.nodes import Converted, Key, ListOf, MapOf, Node, OneOf, Record, String, Table

RECIPE = table_for(Recipe)
_PYTHONS = table_for(BuildSpec).key("pythons")
OVERRIDE = Table(
    (
        replace(_PYTHONS, required=True, doc="the Pythons it is for, major.minor"),
        *(replace(key, required=False) for key in RECIPE.keys),
    )
)
DOCUMENT = RECIPE.with_keys(
    Key("overrides", ListOf(OVERRIDE), doc="tables that replace the recipe's for some Pythons")
)


def placeholder_fields(table: Table = RECIPE, prefix: str = "") -> Iterator[tuple[str, tuple]]:
    """(dotted key, placeholders) for every key whose strings may hold placeholders."""
    for key in table.keys:
        dotted = f"{prefix}{key.name}"
        yield from _placeholders_below(key.node, dotted)


def _placeholders_below(node: Node, dotted: str) -> Iterator[tuple[str, tuple]]:
    if isinstance(node, Converted):
        yield from _placeholders_below(node.node, dotted)
    elif isinstance(node, Record):
        yield from placeholder_fields(node.table, f"{dotted}.")
    elif isinstance(node, Table):
        yield from placeholder_fields(node, f"{dotted}.")
    elif isinstance(node, ListOf):
        yield from _placeholders_below(node.items, dotted)
    elif isinstance(node, MapOf):
        yield from _placeholders_below(node.values, dotted)
    elif isinstance(node, OneOf):
        found = dict(p for a in node.alternatives for p in _placeholders_below(a, dotted))
        yield from found.items()
    elif isinstance(node, String) and node.placeholders:
        yield dotted, node.placeholders
