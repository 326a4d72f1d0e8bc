"""The suite's own promises: every browser page is watched for script errors, CSP refusals and
failed loads, and every guarantee the docs state names tests that exist."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).parent
TEST_MODULES = sorted(TESTS.glob("test_*.py"))


@pytest.mark.parametrize("path", TEST_MODULES, ids=lambda path: path.name)
def test_every_browser_context_is_made_by_the_watched_fixture(path):
    """`browser.new_context()` in a test would open pages nobody watches: tests use `new_context`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    direct = [
        node.lineno for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("new_context", "new_page")
        and isinstance(node.func.value, ast.Name) and node.func.value.id == "browser"
    ]
    assert direct == [], f"{path.name} opens unwatched browser contexts on lines {direct}"
