"""Opt-in test levels: ``--integration`` and ``--heavy`` enable the tests marked with that name."""

from __future__ import annotations

import pytest

OPT_IN_MARKERS = ("integration", "heavy")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--integration", action="store_true", help="run tests marked integration (real tools)"
    )
    parser.addoption("--heavy", action="store_true", help="run tests marked heavy (full builds)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for marker in OPT_IN_MARKERS:
        if config.getoption(f"--{marker}"):
            continue
        skip = pytest.mark.skip(reason=f"{marker} test: run pytest with --{marker}")
        for item in items:
            # A real marker, not a keyword: every test under tests/integration/ has the
            # keyword "integration" from its folder name.
            if item.get_closest_marker(marker) is not None:
                item.add_marker(skip)
