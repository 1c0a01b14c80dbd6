"""Opt-in test levels: ``--integration`` and ``--heavy`` enable the tests marked with that name
(the rules live in runtime/tests/testlevels.py, shared with the runtime's own test run)."""

from __future__ import annotations

import pytest
from testlevels import add_level_options, skip_unrequested_levels


def pytest_addoption(parser: pytest.Parser) -> None:
    add_level_options(parser)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip_unrequested_levels(config, items)
