"""Placeholders in recipe values: which ``{name}`` each field may use, and the one way to fill
them.

Only ``{name}`` tokens naming a placeholder of the field are replaced; other braces are left as
they are, so test commands can hold Python code with dicts and f-strings. The loader refuses a
``{name}`` that is not one of the field's placeholders in the fields that have a closed set
(``CLOSED_FIELDS``), so a typo fails at load with a suggestion, not mid-build.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# Folders a cross build knows only when it runs (as the build side sees them).
TARGET_SITE = "target_site"  # the unpacked riscv64 wheels of requires.host
BUILD_SITE = "build_site"  # the build venv's site-packages
# What a make build is given.
MAKE = ("cc", "fc", "hostcc", "jobs", "prefix")
# The unpacked source tree, for test commands that run tests an sdist has and its wheel lacks.
SOURCE = "source"

# Recipe field (dotted, as in the TOML file) -> the placeholders it may use.
CLOSED_FIELDS: Mapping[str, tuple[str, ...]] = {
    "build.env": (TARGET_SITE, BUILD_SITE),
    "build.config-settings": (TARGET_SITE, BUILD_SITE),
    "cross.properties": (TARGET_SITE, BUILD_SITE),
    "build.make.args": MAKE,
    "build.make.install-args": MAKE,
    "build.variants.make-args": MAKE,
}
# Fields whose other braces are the user's own text (Python code in test commands).
OPEN_FIELDS: Mapping[str, tuple[str, ...]] = {"test.commands": (SOURCE,)}

_TOKEN = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def placeholders_in(text: str) -> list[str]:
    """The ``{name}`` tokens of ``text``, in order."""
    return _TOKEN.findall(text)


def fill(text: str, values: Mapping[str, str]) -> str:
    """``text`` with each ``{name}`` that ``values`` has replaced; anything else left as is."""
    return _TOKEN.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def fill_value(value: object, values: Mapping[str, str]) -> object:
    """``fill`` over a recipe value: a string, or a list/tuple of strings; others unchanged."""
    if isinstance(value, str):
        return fill(value, values)
    if isinstance(value, tuple | list):
        return [fill_value(item, values) for item in value]
    return value
