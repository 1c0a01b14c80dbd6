"""Opt-in test levels, shared by the runtime's tests and the project's: tests marked
``integration`` or ``heavy`` run only with ``--integration`` / ``--heavy``.

Both conftests call these (the runtime runs standalone from ``runtime/``, and the project root
runs both trees), so registering the options tolerates a second caller."""

from __future__ import annotations

import pytest

OPT_IN_MARKERS = ("integration", "heavy")
HELP = {
    "integration": "run tests marked integration (real tools: compilers, roots, qemu, a browser)",
    "heavy": "run tests marked heavy (full builds, tens of minutes)",
}


def add_level_options(parser: pytest.Parser) -> None:
    for marker in OPT_IN_MARKERS:
        try:
            parser.addoption(f"--{marker}", action="store_true", help=HELP[marker])
        except ValueError:
            return  # the other conftest of this run registered them


def skip_unrequested_levels(config: pytest.Config, items: list[pytest.Item]) -> None:
    for marker in OPT_IN_MARKERS:
        if config.getoption(f"--{marker}"):
            continue
        skip = pytest.mark.skip(reason=f"{marker} test: run pytest with --{marker}")
        for item in items:
            # A real marker, not a keyword: every test under tests/integration/ has the
            # keyword "integration" from its folder name.
            if item.get_closest_marker(marker) is not None:
                item.add_marker(skip)
