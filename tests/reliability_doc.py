"""Write docs/reliability.md's table of guarantees from tests/guarantees.yaml and the figures the
last `make test` recorded (.reliability/last-run.json): no figure in it is written by hand.

    python tests/reliability_doc.py        (or `make reliability`, after `make test`)
"""
from __future__ import annotations

import json
import platform
import sys
from pathlib import Path

import yaml

TESTS = Path(__file__).parent
PROJECT = TESTS.parent
GUARANTEES = TESTS / "guarantees.yaml"
LAST_RUN = PROJECT / ".reliability" / "last-run.json"
DOC = PROJECT / "docs" / "reliability.md"
START, END = "<!-- guarantees: made by tests/reliability_doc.py -->", "<!-- end of guarantees -->"


def load_guarantees() -> list[dict]:
    return yaml.safe_load(GUARANTEES.read_text(encoding="utf-8"))


def test_link(node: str) -> str:
    path, name = node.split("::")
    return f"`tests/{path}::{name}`"


def figures_for(prefixes: list[str], figures: dict) -> list[str]:
    return [f"{name}: **{value}**" for name, value in sorted(figures.items()) if any(name.startswith(prefix) for prefix in prefixes)]


def table(guarantees: list[dict], figures: dict) -> str:
    rows = ["| guarantee | tests that fail if it breaks | figures of the last run |", "|---|---|---|"]
    for item in guarantees:
        shown = figures_for(item.get("figures", []), figures)
        if item.get("figures") and not shown:
            shown = ["not recorded by the last run"]
        rows.append(f"| {item['guarantee']} | {'<br>'.join(test_link(node) for node in item['tests'])} | {'<br>'.join(shown) or '(the tests pass or fail)'} |")
    return "\n".join(rows)


def run_line(run: dict) -> str:
    tests = run["tests"]
    machine = f"{platform.machine()}, {platform.system()}, Python {platform.python_version()}"
    return (f"The last recorded run: {run['date']}, {tests['passed']:,} tests passed, {tests['failed'] + tests['error']} failed, "
            f"{tests['skipped']} skipped, {run['seconds']:,} s ({machine}).")


def main() -> int:
    if not LAST_RUN.exists():
        print("no recorded run: the table is written without figures (run `make test` first)", file=sys.stderr)
    run = json.loads(LAST_RUN.read_text(encoding="utf-8")) if LAST_RUN.exists() else None
    said = run_line(run) if run else "No run recorded yet."
    block = f"{START}\n{said}\n\n{table(load_guarantees(), run['figures'] if run else {})}\n{END}"
    text = DOC.read_text(encoding="utf-8")
    before, rest = text.split(START, 1)
    after = rest.split(END, 1)[1]
    DOC.write_text(before + block + after, encoding="utf-8")
    print(f"{DOC.relative_to(PROJECT)}: {len(load_guarantees())} guarantees, {len(run['figures']) if run else 0} figures")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
