"""The placeholders recipe values may use, and the one way to fill them.

Which field may use which is written on the field itself (``toml(placeholders=...)`` in
rvwheels.recipe.spec), so the loader refuses any other ``{name}`` there: a typo fails at load
with a suggestion, not mid-build. Test commands are open: their other braces are Python code.
"""

from __future__ import annotations

from rvwheels.schema.placeholders import fill, fill_value, placeholders_in

# Folders a cross build knows only when it runs (as the build side sees them).
TARGET_SITE = "target_site"  # the unpacked riscv64 wheels of requires.host
BUILD_SITE = "build_site"  # the build venv's site-packages
SITES = (TARGET_SITE, BUILD_SITE)
# What a make build is given.
MAKE = ("cc", "fc", "hostcc", "jobs", "prefix")
# The unpacked source tree, for test commands that run tests an sdist has and its wheel lacks.
SOURCE = "source"

__all__ = [
    "BUILD_SITE",
    "MAKE",
    "SITES",
    "SOURCE",
    "TARGET_SITE",
    "fill",
    "fill_value",
    "placeholders_in",
]
