"""The suite's own promises: every browser page is watched for script errors, CSP refusals and
failed loads, and every guarantee the docs state names tests that exist."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml

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


GUARANTEES = yaml.safe_load((TESTS / "guarantees.yaml").read_text(encoding="utf-8"))


def defined_tests(path: Path) -> set[str]:
    return {node.name for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))) if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")}


@pytest.mark.parametrize("item", GUARANTEES, ids=lambda item: item["guarantee"][:60])
def test_every_guarantee_names_tests_that_exist(item):
    assert item["tests"], "a guarantee with no test is a wish"
    for node in item["tests"]:
        file, name = node.split("::")
        assert name in defined_tests(TESTS / file), f"{node} does not exist"


@pytest.mark.parametrize("item", [item for item in GUARANTEES if "readme" in item], ids=lambda item: item["readme"][:60])
def test_the_readme_still_states_each_guarantee_quoted(item):
    readme = " ".join((TESTS.parent / "README.md").read_text(encoding="utf-8").split())
    assert item["readme"] in readme


def test_the_reliability_doc_lists_every_guarantee_with_its_tests():
    doc = (TESTS.parent / "docs" / "reliability.md").read_text(encoding="utf-8")
    rows = {line.split(" | ")[0].lstrip("| "): line for line in doc.splitlines() if line.startswith("| ")}
    for item in GUARANTEES:
        assert item["guarantee"] in rows, f"{item['guarantee']!r}: run `make reliability`"
        for node in item["tests"]:
            assert f"`tests/{node}`" in rows[item["guarantee"]], f"{node}: run `make reliability`"
