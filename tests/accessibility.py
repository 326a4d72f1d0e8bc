"""An axe-core audit (WCAG 2.1 A and AA) of the page a Playwright page shows."""
from __future__ import annotations

import pytest

from conftest import AXE

TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def serious_violations(page) -> list[str]:
    """Every serious or critical violation on the page, as 'rule: where' lines."""
    if not AXE.exists():
        pytest.fail(f"the accessibility audit needs axe-core at {AXE}: run `make test` (it installs it from npm)")
    # evaluate() runs in the page without being a <script> element, so the page's CSP allows it.
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS)
    return [
        f"{violation['id']} ({violation['impact']}): {[node['target'] for node in violation['nodes']][:5]}"
        for violation in result["violations"]
        if violation["impact"] in ("serious", "critical")
    ]
