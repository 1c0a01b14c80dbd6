"""Module and function size budgets (STYLE.md): no module over 400 lines, no function over 60,
in the tool and in the runtime."""

from __future__ import annotations

import ast
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
SOURCES = (PROJECT / "src", PROJECT / "runtime" / "src")
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def _modules():
    for root in SOURCES:
        yield from sorted(root.rglob("*.py"))


def test_no_module_is_over_budget():
    over = {
        str(path.relative_to(PROJECT)): n
        for path in _modules()
        if (n := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert over == {}


def test_no_function_is_over_budget():
    over = {}
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    over[f"{path.relative_to(PROJECT)}:{node.name}"] = length
    assert over == {}
