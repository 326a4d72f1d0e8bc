"""The shape STYLE.md promises a newcomer: small functions, Flask only in the web layer, Whoosh's
private parts read in one module, framework internals left alone."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "kb"
MODULES = sorted(PACKAGE.glob("*.py"))
#: The modules that make up the web layer (and the app factory and the `kb` command, which build the app).
WEB_LAYER = {"__init__", "api", "assets", "auth", "cli", "compression", "config", "devices", "editor", "extensions", "handlers", "security", "seo", "site", "web", "widget"}
LONGEST_FUNCTION = 80


def functions(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node


def imported_modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("path", MODULES, ids=lambda path: path.name)
def test_no_function_is_longer_than_a_screen(path):
    long = [(node.name, node.end_lineno - node.lineno + 1) for node in functions(path) if node.end_lineno - node.lineno + 1 > LONGEST_FUNCTION]
    assert not long, f"{path.name}: split {long}"


@pytest.mark.parametrize("path", [p for p in MODULES if p.stem not in WEB_LAYER], ids=lambda path: path.name)
def test_domain_code_does_not_import_flask(path):
    assert not imported_modules(path) & {"flask", "flask_wtf", "flask_talisman", "flask_limiter", "flask_cors"}


@pytest.mark.parametrize("path", [p for p in MODULES if p.stem != "whoosh_internals"], ids=lambda path: path.name)
def test_private_attributes_of_other_objects_are_read_only_in_whoosh_internals(path):
    """`obj._name` where obj is not self or cls: a promise no library made (STYLE.md 14)."""
    text = path.read_text(encoding="utf-8")
    namedtuple_api = ("._replace", "._asdict", "._fields")
    reads = [m.group(0) for m in re.finditer(r"\b(\w+)\._[a-z]\w*", text) if m.group(1) not in ("self", "cls") and not m.group(0).endswith(namedtuple_api)]
    assert not reads, f"{path.name} reads {reads}; keep such reads in kb/whoosh_internals.py"


@pytest.mark.parametrize("path", MODULES, ids=lambda path: path.name)
def test_no_framework_class_is_subclassed_to_replace_its_internals(path):
    """Flask, its sessions and responses, Talisman and CSRFProtect are used as they come."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    bases = {ast.unparse(base) for node in ast.walk(tree) if isinstance(node, ast.ClassDef) for base in node.bases}
    assert not bases & {"Flask", "FlaskResponse", "Response", "SecureCookieSessionInterface", "Talisman", "CSRFProtect"}
