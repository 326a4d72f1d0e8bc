"""Lighthouse (Google's page audit, from npm) in Debian's Chromium against the service, on a
phone (Lighthouse's mobile emulation, 412 px, slow 4G) and a desktop: the empty search page, a
search with a query, one with filters and an article page. Prints the four category scores and the layout shift,
and records them in docs/benchmarks.md.

    make lighthouse        # installs Lighthouse into .venv/node, then runs this

A result page is `noindex` on purpose, so its SEO score is low by design; SEO is judged on the
empty search page and the article.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.report import ROOT, describe_machine, record, today  # noqa: E402
from benchmarks.speed import Gunicorn  # noqa: E402

LIGHTHOUSE = ROOT / ".venv" / "node" / "node_modules" / ".bin" / "lighthouse"
CHROMIUM = "/usr/bin/chromium"
PAGES = {
    "empty search page": "/", "search with a query": "/?q=ice+pick+scars", "search with filters": "/?q=scars&procedure=microneedling",
    "article page": "/articles/acne-scar-types",
}
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")


def audit(url: str, form: str) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        preset = ["--preset=desktop"] if form == "desktop" else []
        subprocess.run(
            [str(LIGHTHOUSE), url, *preset, "--quiet", "--output=json", f"--output-path={out.name}",
             "--chrome-flags=--headless=new --no-sandbox"],
            env={**os.environ, "CHROME_PATH": CHROMIUM}, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300,
        )
        report = json.loads(Path(out.name).read_text())
    scores = {name: round(report["categories"][name]["score"] * 100) for name in CATEGORIES}
    scores["cls"] = round(report["audits"]["cumulative-layout-shift"]["numericValue"], 3)
    return scores


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-record", action="store_true", help="print only; do not update docs/benchmarks.md")
    args = parser.parse_args()
    if not LIGHTHOUSE.exists():
        print(f"Lighthouse is not installed at {LIGHTHOUSE}: run `make lighthouse`.")
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        env = {"KB_ARTICLES_DIR": str(ROOT / "articles"), "KB_INDEX_DIR": f"{tmp}/index", "KB_INSTANCE_DIR": f"{tmp}/instance",
               "KB_RATELIMIT_ENABLED": "false", "KB_ANALYTICS": "false"}
        subprocess.run([str(Path(sys.executable).parent / "kb"), "index"], env={**os.environ, **env}, check=True, stdout=subprocess.DEVNULL)
        server = Gunicorn("wsgi:app", env, "/")
        try:
            rows = [(form, name, audit(f"http://127.0.0.1:{server.port}{path}", form)) for form in ("mobile", "desktop") for name, path in PAGES.items()]
        finally:
            server.stop()
    lines = ["| device | page | performance | accessibility | best practices | SEO | layout shift (CLS) |", "|---|---|---|---|---|---|---|"]
    lines += [f"| {form} | {name} | {s['performance']} | {s['accessibility']} | {s['best-practices']} | {s['seo']} | {s['cls']} |" for form, name, s in rows]
    table = "\n".join(lines)
    print(table)
    if not args.no_record:
        record("Lighthouse", f"Run {today()} with `make lighthouse` (Lighthouse 12 from npm, Debian's Chromium, headless) on "
               f"{describe_machine()}, against gunicorn over the clinic's articles.\n\n{table}\n\n"
               "The result page is `noindex` on purpose (a page of results is not a page to find), which is its SEO score; "
               "the first round's figures, before this work: performance 77 on a phone (layout shift 0.69), SEO 90 everywhere.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
