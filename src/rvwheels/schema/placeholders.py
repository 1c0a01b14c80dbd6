"""``{name}`` placeholders in TOML values: how to find them and the one way to fill them.

Only ``{name}`` tokens naming a placeholder are replaced; other braces are left as they are, so
values can hold Python code with dicts and f-strings. Which names a key may use is part of its
schema (``String.placeholders``); the checker refuses any other ``{name}`` at load.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_TOKEN = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def placeholders_in(text: str) -> list[str]:
    """The ``{name}`` tokens of ``text``, in order."""
    return _TOKEN.findall(text)


def fill(text: str, values: Mapping[str, str]) -> str:
    """``text`` with each ``{name}`` that ``values`` has replaced; anything else left as is."""
    return _TOKEN.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def fill_value(value: object, values: Mapping[str, str]) -> object:
    """``fill`` over a value: a string, or a list/tuple of strings; others unchanged."""
    if isinstance(value, str):
        return fill(value, values)
    if isinstance(value, tuple | list):
        return [fill_value(item, values) for item in value]
    return value
