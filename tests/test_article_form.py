"""The editor's form and the article files: every article opened in the form and saved unchanged
is the same article, and a file the form writes reads back as the form was filled."""
from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from conftest import FIXTURES, PROJECT
from kb.article_form import ArticleFields, fields_from_file, file_text, propose_slug
from kb.articles import load_article, parse_article
from kb.taxonomy import load_taxonomy

ARTICLE_FILES = sorted((PROJECT / "articles").glob("*.md")) + sorted(FIXTURES.glob("*.md"))
#: What a save changes on purpose (the date) or what names the file rather than the article.
NOT_THE_ARTICLE = {"content_hash", "stamp", "path", "related_lines", "links", "updated"}


@pytest.mark.parametrize("path", ARTICLE_FILES, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_every_article_saved_from_the_form_unchanged_is_the_same_article(path):
    taxonomy = load_taxonomy(path.parent / "taxonomy.yaml")
    before = load_article(path, taxonomy)
    text = file_text(fields_from_file(path.stem, path.read_bytes()), taxonomy, dt.date(2026, 12, 5))
    after = parse_article(text.encode("utf-8"), path.name, taxonomy, path.name)
    for field in dataclasses.fields(before):
        if field.name not in NOT_THE_ARTICLE:
            assert getattr(after, field.name) == getattr(before, field.name), field.name
    assert after.updated == dt.date(2026, 12, 5)
    if path.parent.name == "articles" and path.parent.parent.name != "fixtures":
        # The clinic's articles come back byte for byte: a save's diff is the editor's change only.
        assert text == path.read_text(encoding="utf-8").replace(f"updated: {before.updated}", "updated: 2026-12-05")
    # Opened again, the file the form wrote fills the form alike.
    again, first = fields_from_file(path.stem, text.encode("utf-8")), fields_from_file(path.stem, path.read_bytes())
    assert dataclasses.replace(again, key_order=[]) == dataclasses.replace(first, key_order=[])


def test_the_front_matter_is_written_as_articles_are_written_by_hand():
    taxonomy = load_taxonomy(FIXTURES / "taxonomy.yaml")
    fields = ArticleFields(
        slug="x", title="Cost: what to expect", summary="Prices per session.", cost_min="150", cost_max="400.5",
        facets={"scar_type": ["boxcar", "rolling"], "procedure": ["microneedling"], "side_effect": []},
        status="draft", related="what-is-microneedling\nside-effects", body="Body text",
        sources=[{"file": "001.txt", "title": "", "url": ""}, {"file": "002.txt", "title": "A title", "url": "https://example.org/a"}],
        reviewed_by="Dr A", reviewed_on="2026-10-01", reviewed_next="2027-04-01",
    )
    assert file_text(fields, taxonomy, dt.date(2026, 12, 5)) == (
        "---\n"
        'title: "Cost: what to expect"\n'
        "summary: Prices per session.\n"
        "scar_type: [boxcar, rolling]\n"
        "procedure: [microneedling]\n"
        "cost: {min: 150, max: 400.5, currency: USD}\n"
        "status: draft\n"
        "updated: 2026-12-05\n"
        "reviewed: {by: Dr A, on: 2026-10-01, next: 2027-04-01}\n"
        "sources:\n"
        "  - 001.txt\n"
        '  - {file: 002.txt, title: "A title", url: "https://example.org/a"}\n'
        "related: [what-is-microneedling, side-effects]\n"
        "---\n"
        "Body text\n"
    )


@pytest.mark.parametrize("title,slug", [
    ("Eczema and microneedling", "eczema-and-microneedling"),
    ("  Rosacea: what__to know?  ", "rosacea-what-to-know"),
    ("Crème & café", "creme-cafe"),
    ("¿?", ""),
])
def test_a_slug_is_proposed_from_the_title(title, slug):
    assert propose_slug(title) == slug
