"""Public answers are computed over public articles only: staff-only articles change nothing a visitor sees.

Word rarity and average field lengths over every article would let a visitor infer which words
staff-only articles contain, from how scores and order shift. The clinic's articles are built
twice, with and without their staff-only articles, and every public answer is compared: exact
scores of every public article, hits (order, snippets, counts), facet counts, corrections,
unmatched words, completions, article pages and their similar articles.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from conftest import PROJECT, build
from kb.articles import PUBLIC
from kb.engine import Engine
from kb.folder import load_folder
from kb.index import IndexStore
from kb.parameters import parse_request
from kb.taxonomy import load_taxonomy

ARTICLES = PROJECT / "articles"
WORD = re.compile(r"[a-z][a-z'-]+")
#: Fields that name the build or the moment rather than the answer.
NOT_THE_ANSWER = ("took_ms", "search_id")


def open_engine(articles, index_dir) -> Engine:
    build(articles, index_dir)
    store = IndexStore(index_dir)
    return Engine(store, store.current_name())


@pytest.fixture(scope="module")
def engines(tmp_path_factory):
    """(with staff-only articles, without them): the same public articles."""
    base = tmp_path_factory.mktemp("public-statistics")
    public_only = base / "public-articles"
    shutil.copytree(ARTICLES, public_only)
    staff_only = [article for article in load_folder(ARTICLES, load_taxonomy(ARTICLES / "taxonomy.yaml")).articles if article.audience != PUBLIC]
    assert len(staff_only) >= 3
    for article in staff_only:
        (public_only / Path(article.path).name).unlink()
    rules = yaml.safe_load((public_only / "rules.yaml").read_text(encoding="utf-8"))
    assert not {article.slug for article in staff_only} & set(re.findall(r"[a-z0-9-]+", yaml.safe_dump(rules)))
    with_staff, without_staff = open_engine(ARTICLES, base / "with"), open_engine(public_only, base / "without")
    assert with_staff.reader.doc_count() == without_staff.reader.doc_count() + len(staff_only)
    yield with_staff, without_staff
    with_staff.close()
    without_staff.close()


def probes(engine: Engine) -> list[str]:
    """Every word the articles use (public and staff-only), every run of two and three words, and the clinic's questions."""
    texts = [WORD.findall(engine.text(docnum).casefold()) for docnum in range(engine.reader.doc_count_all())]
    words = sorted({word for text in texts for word in text})
    pairs = sorted({f"{a} {b}" for text in texts for a, b in zip(text, text[1:])})
    triples = sorted({f"{a} {b} {c}" for text in texts for a, b, c in zip(text, text[1:], text[2:])})
    questions = [entry["q"] for entry in yaml.safe_load((PROJECT / "tests" / "clinic_questions.yaml").read_text(encoding="utf-8"))]
    return words + pairs + triples + questions


def public_scores(engine: Engine, text: str) -> dict[str, float]:
    """Every public article's exact score for the text, by slug."""
    scores = engine._match_text(text, PUBLIC).scored.scores
    return {engine.cards.field(docnum, "slug"): float(scores[docnum]) for docnum in engine.audience_documents(PUBLIC).nonzero()[0]}


def answer(engine: Engine, params: dict) -> dict:
    result = engine.search(parse_request({name: [value] for name, value in params.items()}, engine.taxonomy), PUBLIC)
    return {key: value for key, value in result.items() if key not in NOT_THE_ANSWER}


def test_public_searches_are_the_same_with_and_without_staff_only_articles(engines, figures):
    with_staff, without_staff = engines
    texts = probes(with_staff)
    assert len(texts) > 5000
    different = [text for text in texts if public_scores(with_staff, text) != public_scores(without_staff, text)]
    different += [text for text in texts if answer(with_staff, {"q": text}) != answer(without_staff, {"q": text})]
    filtered = [{"q": text, "procedure": value} for text in texts[::50] for value in with_staff.taxonomy.facet("procedure").slugs]
    different += [params for params in filtered if answer(with_staff, params) != answer(without_staff, params)]
    assert different == []
    figures["public statistics: probe searches compared with and without staff-only articles"] = 2 * len(texts) + len(filtered)
    figures["public statistics: differences found"] = len(different)


def test_public_articles_similar_articles_suggestions_and_facets_are_the_same(engines):
    with_staff, without_staff = engines
    slugs = [article["slug"] for article in with_staff.articles(PUBLIC)]
    assert slugs == [article["slug"] for article in without_staff.articles(PUBLIC)]
    for slug in slugs:
        assert with_staff.similar(slug, PUBLIC) == without_staff.similar(slug, PUBLIC), slug
        assert with_staff.article(slug, PUBLIC) == without_staff.article(slug, PUBLIC), slug
    prefixes = sorted({word[:length] for word in probes(with_staff)[:4000] for length in (1, 2, 3, 5)})
    assert [with_staff.suggest(prefix, PUBLIC) for prefix in prefixes] == [without_staff.suggest(prefix, PUBLIC) for prefix in prefixes]
    assert with_staff.facet_totals(PUBLIC) == without_staff.facet_totals(PUBLIC)


def test_staff_searches_still_weigh_every_article(engines):
    """Staff answers are over every article: a word only staff-only articles use is found, and rarer for it."""
    with_staff, without_staff = engines
    assert with_staff.postings_for("staff").size == with_staff.reader.doc_count()
    assert with_staff.postings_for(PUBLIC).size == without_staff.postings_for(PUBLIC).size == without_staff.reader.doc_count()
