import datetime as dt
import os
import time
from pathlib import Path

import pytest

from kb.articles import Outline, ArticleInvalid, load_article
from kb.folder import load_folder
from kb.rendering import render_markdown
from kb.taxonomy import load_taxonomy
from conftest import FIXTURES

GOOD = """---
title: A title
summary: A summary.
procedure: [microneedling]
---
Body text.
"""


@pytest.fixture(scope="module")
def taxonomy():
    return load_taxonomy(FIXTURES / "taxonomy.yaml")


def write(tmp_path, text, name="article.md", raw=None):
    path = tmp_path / name
    if raw is not None:
        path.write_bytes(raw)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_fixture_article_loads_with_everything(taxonomy):
    article = load_article(FIXTURES / "microneedling-cost.md", taxonomy)
    assert article.slug == "microneedling-cost"
    assert article.facets["procedure"] == ("microneedling",)
    assert article.facets["cost"] == ("under-200", "200-to-300", "over-300")
    assert (article.price_min, article.price_max, article.currency) == (150.0, 400.0, "USD")
    assert article.updated == dt.date(2026, 11, 1)
    assert article.audience == "public"
    assert [h.text for h in article.headings] == ["Price per session"]
    assert 'id="price-per-session"' in article.html


@pytest.mark.parametrize(
    "text, line, message",
    [
        ("---\nsummary: s\n---\nbody", 2, "'title' is required"),
        ("---\ntitle: '  '\nsummary: s\n---\nbody", 2, "'title' is required"),
        ("---\ntitle: t\n---\nbody", 2, "'summary' is required"),
        ("---\ntitle: t\nsummary: s\nprocedure: micro-needlng\n---\n", 4, "unknown procedure 'micro-needlng'; closest valid values: microneedling"),
        ("---\ntitle: t\nsummary: s\nscar_type:\n  - boxcar\n  - icepik\n---\n", 6, "unknown scar_type 'icepik'; closest valid values: ice-pick"),
        ("---\ntitle: t\nsummary: s\nupdated: 2026-13-45\n---\n", 4, "updated must be a date"),
        ("---\ntitle: t\nsummary: s\nupdated: last week\n---\n", 4, "updated must be a date"),
        ("---\ntitle: t\nsummary: s\ncost: {min: cheap, max: 400}\n---\n", 4, "cost min must be a non-negative number"),
        ("---\ntitle: t\nsummary: s\ncost: {min: 500, max: 400}\n---\n", 4, "greater than max"),
        ("---\ntitle: t\nsummary: s\ncost: {min: 150, max: 400, currency: EUR}\n---\n", 4, "currency must be USD"),
        ("---\ntitle: t\nsummary: s\ncost: 300\n---\n", 4, "'cost' must be a mapping"),
        ("---\ntitle: t\nsummary: s\naudience: everyone\n---\n", 4, "audience must be 'public' or 'staff'"),
        ("---\ntitle: t\nsummary: s\nproceedure: [microneedling]\n---\n", 4, "did you mean 'procedure'"),
        ("---\ntitle: t\nsummary: [s\n---\n", 3, "not valid YAML"),
        ("---\n- just\n- a list\n---\n", 2, "must be a mapping"),
        ("no front matter here", 1, "missing YAML front matter"),
        ("---\ntitle: t\nsummary: s\nrelated: [Not A Slug]\n---\n", 4, "is not an article slug"),
        ("---\ntitle: t\nsummary: s\nsources: {a: b}\n---\n", 4, "a source mapping needs its file name"),
        ("---\ntitle: t\nsummary: s\nsources: 7.5\n---\n", 4, "'sources' must be a list"),
        ("---\ntitle: t\nsummary: s\nsources:\n  - {file: a.txt, title: ''}\n---\n", 4, "source a.txt: title must be text"),
        ("---\ntitle: t\nsummary: s\nsources:\n  - {file: a.txt, title: A, url: 'javascript:alert(1)'}\n---\n", 4, "url must be an http(s) address"),
        ("---\ntitle: t\nsummary: s\nsources:\n  - {file: a.txt, title: A, link: x}\n---\n", 4, "unknown keys ['link']"),
    ],
)
def test_bad_front_matter_names_file_line_and_fix(tmp_path, taxonomy, text, line, message):
    path = write(tmp_path, text)
    with pytest.raises(ArticleInvalid) as info:
        load_article(path, taxonomy)
    problem = next(p for p in info.value.problems if message in p.message)
    assert problem.line == line
    assert str(problem).startswith(f"{path}:{line}: ")


@pytest.mark.parametrize(
    "raw, message",
    [
        (b"\xff\xfe\x00garbage", "not UTF-8"),
        (b"---\ntitle: t\x00\n---\n", "binary file"),
    ],
)
def test_binary_or_undecodable_file_is_rejected(tmp_path, taxonomy, raw, message):
    with pytest.raises(ArticleInvalid, match=message):
        load_article(write(tmp_path, "", raw=raw), taxonomy)


def test_file_name_must_be_a_slug(tmp_path, taxonomy):
    with pytest.raises(ArticleInvalid, match="must be a slug"):
        load_article(write(tmp_path, GOOD, name="Bad Name.md"), taxonomy)


def test_folder_rejects_bad_files_and_keeps_the_rest(tmp_path, taxonomy):
    write(tmp_path, GOOD, name="good.md")
    write(tmp_path, "---\ntitle: t\nsummary: s\nprocedure: nope\n---\n", name="bad.md")
    write(tmp_path, "", name="binary.md", raw=b"\x00\x01\x02")
    result = load_folder(tmp_path, taxonomy)
    assert [a.slug for a in result.articles] == ["good"]
    assert result.rejected == sorted([str(tmp_path / "bad.md"), str(tmp_path / "binary.md")])


def test_broken_related_and_links_are_reported_and_kept_as_written(tmp_path, taxonomy):
    write(tmp_path, GOOD.replace("---\nBody", "related: [good, missing]\n---\nSee [x](/articles/ghost) and [y](good.md)."), name="linker.md")
    write(tmp_path, GOOD, name="good.md")
    result = load_folder(tmp_path, taxonomy)
    assert {a.slug for a in result.articles} == {"good", "linker"}
    linker = next(a for a in result.articles if a.slug == "linker")
    # Pages show only related articles that exist (tests/test_search.py), so one added later appears.
    assert linker.related == ("good", "missing")
    messages = sorted(p.message for p in result.problems)
    assert messages == ["link to article 'ghost' does not exist", "related article 'missing' does not exist"]
    assert all(not p.fatal for p in result.problems)
    ghost = next(p for p in result.problems if "ghost" in p.message)
    assert ghost.line == 7


@pytest.mark.parametrize(
    "markdown_text, forbidden",
    [
        ("<script>alert(1)</script>", "<script"),
        ('<img src=x onerror="alert(1)">', "onerror"),
        ("[click](javascript:alert(1))", "javascript:"),
        ('<a href="JaVaScRiPt:alert(1)">x</a>', "alert"),
        ('<svg onload="alert(1)"><circle/></svg>', "onload"),
        ('<iframe src="https://example.org"></iframe>', "<iframe"),
        ("<style>body{display:none}</style>", "<style"),
        ('<div style="background:url(javascript:alert(1))">x</div>', "style="),
    ],
)
def test_markdown_is_sanitized(markdown_text, forbidden):
    html, _ = render_markdown(markdown_text)
    assert forbidden.lower() not in html.lower()


def test_markdown_keeps_ordinary_markup_and_heading_anchors():
    html, headings = render_markdown("## Side effects\n\nSome **bold** and a [link](https://example.org).\n\n| a | b |\n|---|---|\n| 1 | 2 |")
    assert '<h2 id="side-effects">Side effects</h2>' in html
    assert "<strong>bold</strong>" in html and "<table>" in html
    assert 'rel="noopener noreferrer"' in html
    assert [(h.level, h.anchor, h.text) for h in headings] == [(2, "side-effects", "Side effects")]


# -- files unchanged since the last index are not parsed again -------------------------------------


def settled(path, seconds_ago=60):
    """Give a file an old modification time, as files not edited lately have (see RACY_NANOSECONDS)."""
    moment = time.time() - seconds_ago
    os.utime(path, (moment, moment))
    return path


def outlines_of(result):
    return {o.slug: Outline.from_json(o.slug, o.to_json()) for o in result.outlines}


def test_files_unchanged_since_the_outlines_are_not_parsed(tmp_path, taxonomy):
    for name in ("one.md", "two.md", "three.md"):
        settled(write(tmp_path, GOOD, name=name))
    first = load_folder(tmp_path, taxonomy)
    assert len(first.articles) == 3 and not first.unchanged
    assert all(a.stamp is not None for a in first.articles)

    write(tmp_path, GOOD.replace("Body text.", "Body text, changed."), name="two.md")
    again = load_folder(tmp_path, taxonomy, outlines_of(first))

    assert [a.slug for a in again.articles] == ["two"]
    assert sorted(o.slug for o in again.unchanged) == ["one", "three"]
    assert {o.path for o in again.unchanged} == {str(tmp_path / "one.md"), str(tmp_path / "three.md")}


def test_a_change_that_keeps_size_and_modification_time_is_still_seen(tmp_path, taxonomy):
    path = settled(write(tmp_path, GOOD, name="one.md"))
    first = load_folder(tmp_path, taxonomy)
    old = path.stat()
    path.write_text(GOOD.replace("Body", "Bodx"), encoding="utf-8")
    os.utime(path, ns=(old.st_atime_ns, old.st_mtime_ns))  # as `cp -p` or an archive would leave it
    assert path.stat().st_size == old.st_size and path.stat().st_mtime_ns == old.st_mtime_ns

    again = load_folder(tmp_path, taxonomy, outlines_of(first))

    assert [a.slug for a in again.articles] == ["one"] and again.articles[0].text == "Bodx text."


def test_a_touched_file_with_the_same_bytes_is_unchanged_and_gets_its_new_stamp(tmp_path, taxonomy):
    path = settled(write(tmp_path, GOOD, name="one.md"))
    first = load_folder(tmp_path, taxonomy)
    settled(path, seconds_ago=30)

    again = load_folder(tmp_path, taxonomy, outlines_of(first))

    assert not again.articles and [o.slug for o in again.unchanged] == ["one"]
    assert again.unchanged[0].stamp != first.articles[0].stamp
    assert again.unchanged[0].stamp[1] == path.stat().st_mtime_ns


def test_a_file_read_moments_after_a_change_is_hashed_next_time_not_trusted_by_its_stamp(tmp_path, taxonomy):
    write(tmp_path, GOOD, name="one.md")  # modified just now: another change in the same tick could hide
    first = load_folder(tmp_path, taxonomy)
    assert first.articles[0].stamp is None

    unchanged = load_folder(tmp_path, taxonomy, outlines_of(first))
    assert [o.slug for o in unchanged.unchanged] == ["one"]
    write(tmp_path, GOOD.replace("Body", "Bodx"), name="one.md")
    assert [a.slug for a in load_folder(tmp_path, taxonomy, outlines_of(first)).articles] == ["one"]


def test_checks_across_the_folder_cover_unchanged_files(tmp_path, taxonomy):
    linker = GOOD.replace("---\nBody", "related: [missing]\n---\nSee [x](/articles/ghost).")
    settled(write(tmp_path, linker, name="linker.md"))
    settled(write(tmp_path, GOOD, name="good.md"))
    first = load_folder(tmp_path, taxonomy)
    (tmp_path / "sub").mkdir()
    write(tmp_path / "sub", GOOD, name="linker.md")  # a second file with the slug of an unchanged one

    again = load_folder(tmp_path, taxonomy, outlines_of(first))

    assert [str(p) for p in again.problems] == [
        f"{tmp_path / 'sub' / 'linker.md'}:1: slug 'linker' is already used by {tmp_path / 'linker.md'}",
        f"{tmp_path / 'linker.md'}:5: related article 'missing' does not exist",
        f"{tmp_path / 'linker.md'}:7: link to article 'ghost' does not exist",
    ]
    assert sorted(o.slug for o in again.unchanged) == ["good", "linker"] and not again.articles


def test_parse_turns_unchanged_outlines_into_articles(tmp_path, taxonomy):
    settled(write(tmp_path, GOOD, name="one.md"))
    settled(write(tmp_path, GOOD, name="two.md"))
    again = load_folder(tmp_path, taxonomy, outlines_of(load_folder(tmp_path, taxonomy)))
    write(tmp_path, "no front matter", name="two.md")  # changed between the load and the parse

    parsed = again.parse(again.unchanged, taxonomy)

    assert [a.slug for a in parsed.articles] == ["one"] and not parsed.unchanged
    assert parsed.rejected == [str(tmp_path / "two.md")]


def test_unchanged_and_parsed_files_are_named_alike_whatever_the_folder_is_called(tmp_path, taxonomy, monkeypatch):
    settled(write(tmp_path, GOOD, name="one.md"))
    settled(write(tmp_path, GOOD, name="two.md"))
    monkeypatch.chdir(tmp_path)
    first = load_folder(Path("."), taxonomy)
    write(tmp_path, GOOD.replace("Body", "Bodx"), name="two.md")
    again = load_folder(Path("."), taxonomy, outlines_of(first))
    assert [a.path for a in first.articles] == ["one.md", "two.md"]
    assert ([o.path for o in again.unchanged], [a.path for a in again.articles]) == (["one.md"], ["two.md"])


def test_sources_carry_a_title_and_a_link_where_the_front_matter_gives_them(tmp_path, taxonomy):
    path = write(tmp_path, "---\ntitle: t\nsummary: s\nsources:\n  - 001_a.txt\n  - {file: 002_b.txt, title: A review of needling, url: 'https://example.org/review'}\n---\nbody")
    article = load_article(path, taxonomy)
    assert article.sources == ("001_a.txt", "002_b.txt")
    assert [source.to_dict() for source in article.source_details] == [
        {"file": "001_a.txt", "title": None, "url": None},
        {"file": "002_b.txt", "title": "A review of needling", "url": "https://example.org/review"},
    ]


def test_every_public_clinic_article_says_it_is_not_medical_advice():
    from conftest import PROJECT
    from kb.articles import PUBLIC

    articles = load_folder(PROJECT / "articles", load_taxonomy(PROJECT / "articles" / "taxonomy.yaml")).articles
    public = [article for article in articles if article.audience == PUBLIC]
    assert len(public) >= 20
    assert [a.slug for a in public if "not medical advice" not in a.text] == []
