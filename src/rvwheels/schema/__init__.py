"""One schema layer for every TOML file rvwheels reads (recipes, toolchain files, Pythons).

The frozen dataclasses are the single source: ``derive`` grows the checker from their field
types, defaults and ``toml(...)`` metadata, ``nodes`` hold the checks and their one-line
messages, ``files`` reads a file safely, ``docs`` renders the key tables for the docs.
"""

from rvwheels.schema.derive import internal, node_for, record_for, structure, table_for, toml
from rvwheels.schema.files import load_toml, parse_toml, read_limited
from rvwheels.schema.keypath import KeyPath, describe, did_you_mean, show

__all__ = [
    "KeyPath",
    "describe",
    "did_you_mean",
    "internal",
    "load_toml",
    "node_for",
    "parse_toml",
    "read_limited",
    "record_for",
    "show",
    "structure",
    "table_for",
    "toml",
]
