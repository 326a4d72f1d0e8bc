"""A draft is seen by editors only: with drafts in the index, what the public and other staff see
is exactly what they saw without them (hits, exact scores, counts, corrections, completions,
pages), while editors find the drafts."""
from __future__ import annotations

import shutil

import pytest

from conftest import FIXTURES
from kb.articles import EDITORS, PUBLIC, STAFF
from kb.engine import Engine
from kb.errors import NotFound
from kb.parameters import parse_request
from test_public_statistics import NOT_THE_ANSWER, WORD, open_engine

DRAFTS = {
    "zinc-draft": "---\ntitle: Zinc and quokka serums\nsummary: A draft on zinc serums.\nprocedure: [microneedling]\nstatus: draft\n---\nZinc quokka serums after needling, collagen and scars.\n",
    "staff-draft": "---\ntitle: Staff wombat script\nsummary: A staff draft.\naudience: staff\nstatus: draft\n---\nWombat notes for the front desk about collagen.\n",
}

@pytest.fixture(scope="module")
def engines(tmp_path_factory):
    """(with two drafts, without them): otherwise the same articles."""
    base = tmp_path_factory.mktemp("drafts")
    with_drafts = base / "with-articles"
    shutil.copytree(FIXTURES, with_drafts)
    for slug, text in DRAFTS.items():
        (with_drafts / f"{slug}.md").write_text(text)
    engines = open_engine(with_drafts, base / "with"), open_engine(FIXTURES, base / "without")
    yield engines
    for engine in engines:
        engine.close()


def probes(engine: Engine) -> list[str]:
    texts = [WORD.findall(engine.text(docnum).casefold()) for docnum in range(engine.reader.doc_count_all())]
    words = sorted({word for text in texts for word in text})
    pairs = sorted({f"{a} {b}" for text in texts for a, b in zip(text, text[1:])})
    return words + pairs + ["zinc quokka", "wombat", "quoka", "wombta"]


def answer(engine: Engine, reader: str, q: str) -> dict:
    result = engine.search(parse_request({"q": [q]}, engine.taxonomy), reader)
    scores = engine._match_text(q, reader).scored.scores
    result["exact"] = sorted((engine.cards.field(int(d), "slug"), float(scores[d])) for d in engine.audience_documents(reader).nonzero()[0])
    return {key: value for key, value in result.items() if key not in NOT_THE_ANSWER}


@pytest.mark.parametrize("reader", [PUBLIC, STAFF])
def test_drafts_change_nothing_the_public_or_other_staff_see(engines, reader, figures):
    with_drafts, without = engines
    texts = probes(with_drafts)
    differences = [q for q in texts if answer(with_drafts, reader, q) != answer(without, reader, q)]
    assert differences == []
    for prefix in ("zi", "quo", "wom", "col", "mic"):
        assert with_drafts.suggest(prefix, reader) == without.suggest(prefix, reader)
    assert with_drafts.facet_totals(reader) == without.facet_totals(reader)
    for slug in DRAFTS:
        with pytest.raises(NotFound) as hidden:
            with_drafts.article(slug, reader)
        assert hidden.value.message == f"no article '{slug}'"
    figures[f"drafts: {reader} searches compared with and without drafts"] = len(texts)


def test_editors_find_drafts_and_see_them_as_drafts(engines):
    with_drafts, _ = engines
    hits = with_drafts.search(parse_request({"q": ["quokka"]}, with_drafts.taxonomy), EDITORS)["hits"]
    assert [hit["slug"] for hit in hits] == ["zinc-draft"]
    assert with_drafts.article("staff-draft", EDITORS)["status"] == "draft"
    assert with_drafts.draft_slugs == frozenset(DRAFTS)
    assert any(item["text"].startswith("quokka") for item in with_drafts.suggest("quok", EDITORS))
