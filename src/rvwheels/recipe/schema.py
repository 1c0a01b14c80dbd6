"""The recipe file's schema, derived from the typed spec (rvwheels.recipe.spec).

``RECIPE`` holds the tables of one recipe ([package], [source], [build], …); ``DOCUMENT`` adds
``[[overrides]]``, whose entries name Pythons and give whole tables that replace the recipe's.
"""

from __future__ import annotations

from dataclasses import replace

from rvwheels.recipe.spec import BuildSpec, Recipe
from rvwheels.schema import table_for
from rvwheels.schema.nodes import Key, ListOf, Table

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
