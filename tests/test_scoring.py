"""The NumPy scorer: "per-field" gives every document the score Whoosh's own BM25F scorer gives it; "bm25f"
the score a document-at-a-time reference computes from Whoosh's postings; both on one segment and on several."""
from __future__ import annotations

import math

import numpy as np
import pytest
from whoosh.query import Or, Term

from conftest import build
from helpers import add_segment, whoosh_weighting
from kb import scoring
from kb.index import IndexStore
from kb.ranking import Ranking
from kb.engine import Engine
from kb.settings import DEFAULTS
from kb.taxonomy import load_taxonomy

QUERIES = [
    "microneedling cost",
    "ice pick scars",
    "what does it cost",
    "numbing cream pain",
    "redness swelling downtime sessions",
    "laser",
    "zzzunknownword scars",
]


class UnionOr(Or):
    """Whoosh's Or matched as a tree of unions, whose scores do not depend on how many hits are asked for."""

    matcher_type = Or.DEFAULT_MATCHER


def whoosh_scores(engine: Engine, clauses: list[scoring.Clause]) -> dict[int, float]:
    query = UnionOr([Term(f, t, boost=w * clause.weight) for clause in clauses for f, t, w in clause.terms])
    with engine.ix.searcher(weighting=whoosh_weighting(engine.ranking)) as searcher:
        return {hit.docnum: hit.score for hit in searcher.search(query, limit=None)}


def reference_bm25f(engine: Engine, clauses: list[scoring.Clause]) -> dict[int, float]:
    """BM25F written out a document at a time from Whoosh's own postings, lengths and counts."""
    ranking, reader = engine.ranking, engine.reader
    documents = reader.doc_count_all()
    average = {f: reader.field_length(f) / documents for f, _ in ranking.field_weights}
    totals: dict[int, float] = {}
    for clause in clauses:
        combined: dict[int, float] = {}
        for fieldname, text, field_weight in clause.terms:
            if (fieldname, text) not in reader:
                continue
            matcher = reader.postings(fieldname, text)
            while matcher.is_active():
                docnum = matcher.id()
                length = reader.doc_field_length(docnum, fieldname, 1)
                norm = 1 - ranking.b + ranking.b * length / average[fieldname]
                combined[docnum] = combined.get(docnum, 0.0) + field_weight * matcher.weight() / norm
                matcher.next()
        containing = len(combined)
        if ranking.idf == "probabilistic":
            idf = math.log(1 + (documents - containing + 0.5) / (containing + 0.5))
        else:
            idf = math.log(documents / (containing + 1)) + 1
        for docnum, frequency in combined.items():
            saturated = frequency * (ranking.k1 + 1) / (frequency + ranking.k1)
            totals[docnum] = totals.get(docnum, 0.0) + clause.weight * idf * saturated
    return totals


def reference_scores(engine: Engine, clauses: list[scoring.Clause]) -> dict[int, float]:
    return whoosh_scores(engine, clauses) if engine.ranking.model == "per-field" else reference_bm25f(engine, clauses)


def assert_same_as_reference(engine: Engine, text: str) -> None:
    clauses = engine.text_query(text)
    ours = scoring.score(engine.postings, clauses, coordination=0.0)
    expected = reference_scores(engine, clauses)
    assert expected, f"nothing matches {text!r}: the comparison would prove nothing"
    assert set(np.flatnonzero(ours.matched).tolist()) == set(expected)
    for docnum, score in expected.items():
        assert ours.scores[docnum] == pytest.approx(score, rel=1e-9), (text, docnum)


@pytest.mark.parametrize("model", ["bm25f", "per-field"])
@pytest.mark.parametrize("idf", ["probabilistic", "whoosh"])
@pytest.mark.parametrize("text", QUERIES)
def test_scores_equal_the_reference(built_index, text, idf, model):
    ranking = Ranking.from_settings({**DEFAULTS, "RANK_MODEL": model, "RANK_IDF": idf, "RANK_K1": 1.6, "RANK_B": 0.6})
    store = IndexStore(built_index)
    engine = Engine(store, store.current_name(), ranking)
    try:
        assert_same_as_reference(engine, text)
    finally:
        engine.close()


def test_bm25f_saturates_a_word_once_across_fields(built_index):
    """A word in the title, summary and body earns at most idf * (k1 + 1), however many fields repeat it;
    per field, each field saturates on its own and the sum can pass that bound."""
    word = "microneedling"
    bounds, best = {}, {}
    for model in ("bm25f", "per-field"):
        store = IndexStore(built_index)
        engine = Engine(store, store.current_name(), Ranking.from_settings({**DEFAULTS, "RANK_MODEL": model, "RANK_QUESTION_WORD_WEIGHT": 1}))
        try:
            clauses = engine.text_query(word)
            containing = int(np.count_nonzero(scoring.score(engine.postings, clauses, 0.0).matched))
            bounds[model] = engine.postings.idf(containing) * (engine.ranking.k1 + 1)
            best[model] = float(scoring.score(engine.postings, clauses, 0.0).scores.max())
        finally:
            engine.close()
    assert best["bm25f"] <= bounds["bm25f"]
    assert best["per-field"] > bounds["per-field"]


def test_scores_equal_whooshs_with_several_segments_and_a_deleted_document(articles_copy, tmp_path):
    """An update written without merging adds a segment and hides the replaced document in the old one."""
    build(articles_copy, tmp_path / "index")
    store = IndexStore(tmp_path / "index")
    taxonomy = load_taxonomy(articles_copy / "taxonomy.yaml")
    path = next(p for p in sorted(articles_copy.glob("*.md")) if "microneedling" in p.read_text())
    path.write_text(path.read_text() + "\nMore on microneedling and its cost.\n")
    add_segment(store, taxonomy, path)
    for model in ("bm25f", "per-field"):
        engine = Engine(store, store.current_name(), Ranking.from_settings({**DEFAULTS, "RANK_MODEL": model}))
        try:
            assert len(list(engine.reader.leaf_readers())) == 2 and engine.reader.has_deletions()
            for text in QUERIES[:3]:
                assert_same_as_reference(engine, text)
        finally:
            engine.close()


def test_coordination_scales_by_the_share_of_words_matched(engine):
    clauses = engine.text_query("microneedling qqqxyz")
    plain = scoring.score(engine.postings, clauses, coordination=0.0)
    scaled = scoring.score(engine.postings, clauses, coordination=0.4)
    matched = np.flatnonzero(plain.matched)
    assert len(matched) > 0
    # Nothing has "qqqxyz": every match has one word of two, so 1 - 0.4 + 0.4 / 2.
    np.testing.assert_allclose(scaled.scores[matched], plain.scores[matched] * 0.8)


@pytest.mark.parametrize("share", [0.05, 0.2, 0.5, 0.9, 1.0, "unsampled", "high-scores-unmatched"])
def test_top_breaks_ties_by_the_tiebreak_rank_and_matches_a_full_sort(share):
    """Few matches (selected among them) or most documents (first cut by the count-th best of a
    sample of the matches): the same documents as sorting every match."""
    rng = np.random.default_rng(7)
    size = 2000
    scores = rng.integers(0, 5, size=size).astype(float)  # many ties
    tiebreak = rng.permutation(size)
    if share == "unsampled":  # most documents match, but none where the sample looks
        where = np.arange(size) % scoring.SAMPLE_STEP != 0
    elif share == "high-scores-unmatched":  # the best scores belong to documents outside the mask
        where = rng.random(size) < 0.7
        scores[~where] += 10
    else:
        where = rng.random(size) < share
    candidates = np.flatnonzero(where)
    full = sorted(candidates.tolist(), key=lambda d: (-scores[d], tiebreak[d]))
    for count in (1, 10, 37, 160, len(candidates), len(candidates) + 5):
        assert scoring.top(scores, where, count, tiebreak).tolist() == full[:count]
        assert scoring.top(scores, where, count, tiebreak, len(candidates)).tolist() == full[:count]


@pytest.mark.parametrize("layout", ["random", "ties", "ascending", "descending", "one-high-value-per-sample-step"])
def test_the_kth_largest_from_a_sample_equals_a_full_sort(layout):
    rng = np.random.default_rng(11)
    for size in (1, 15, 16, 17, 170, 3000):
        values = {
            "random": rng.random(size),
            "ties": rng.integers(0, 3, size=size).astype(float),
            "ascending": np.sort(rng.random(size)),
            "descending": np.sort(rng.random(size))[::-1].copy(),
            # every sampled value is the largest: the sample's floor keeps almost nothing back
            "one-high-value-per-sample-step": np.where(np.arange(size) % scoring.SAMPLE_STEP == 0, 9.0, rng.random(size)),
        }[layout]
        ordered = sorted(values.tolist(), reverse=True)
        for k in sorted({k for k in (1, 2, 10, size // 2, size) if 1 <= k <= size}):
            assert scoring._kth_largest(values, k) == ordered[k - 1], (size, k)


def test_terms_no_article_has_are_not_cached(engine):
    """What is kept is bounded by the index's vocabulary, whatever words visitors type."""
    before = engine.postings.cached_terms()
    for word in ("qqqx", "zzzy", "wwwv"):
        assert engine.postings.term("body", word) is None
        assert engine.postings.word((("title", word, 4.0), ("body", word, 1.0))).docs.size == 0
    assert engine.postings.cached_terms() == before


def test_a_kept_word_lists_its_documents_in_numpys_index_type(engine):
    """Scattering a word's scores through any other integer type converts its document numbers
    first, on every search that has the word."""
    (clause,) = engine.text_query("microneedling")
    found = engine.postings.word(clause.terms)
    assert found.docs.size > 0 and found.docs.dtype == np.intp


def scores_with(built_index, monkeypatch, share: float, room: int, texts: list[str]) -> tuple[list, Engine]:
    monkeypatch.setattr(scoring, "DENSE_SHARE", share)
    monkeypatch.setattr(scoring, "DENSE_BYTES", room)
    store = IndexStore(built_index)
    engine = Engine(store, store.current_name())
    try:
        return [scoring.score(engine.postings, engine.text_query(text), engine.ranking.coordination) for text in texts], engine
    finally:
        engine.close()


def test_dense_and_scattered_words_give_the_same_scores_to_the_bit(built_index, monkeypatch):
    """Every word dense, none, or some of each (only room for a few): the same sums, in the same order."""
    texts = QUERIES[:-1] + ["what is the cost of laser sessions", "does microneedling hurt more than a peel", "scars scars scars"]
    everything, dense_engine = scores_with(built_index, monkeypatch, 0.0, 2**40, texts)
    nothing, sparse_engine = scores_with(built_index, monkeypatch, 1.1, 2**40, texts)
    some, mixed_engine = scores_with(built_index, monkeypatch, 0.0, 3 * dense_engine.postings.doc_count * 9, texts)
    assert all(form is not None for form in dense_engine.postings._dense.values())
    assert all(form is None for form in sparse_engine.postings._dense.values())
    assert {form is None for form in mixed_engine.postings._dense.values()} == {True, False}
    for text, dense, sparse, mixed in zip(texts, everything, nothing, some):
        for other in (sparse, mixed):
            assert np.array_equal(dense.scores, other.scores) and np.array_equal(dense.matched, other.matched), text


def test_dense_forms_stay_within_their_room(built_index, monkeypatch):
    store = IndexStore(built_index)
    ix, _ = store.open(store.current_name())
    room = 2 * ix.doc_count_all() * 9  # two words' dense forms (float64 and uint8 per document)
    ix.close()
    _, engine = scores_with(built_index, monkeypatch, 0.0, room, QUERIES)
    postings = engine.postings
    assert sum(form is not None for form in postings._dense.values()) == 2
    assert sum(form is None for form in postings._dense.values()) > 2
    assert postings._dense_bytes == room


def test_an_article_with_empty_fields_leaves_every_score_a_number(articles_copy, tmp_path):
    """Whoosh reads an empty field's length as None: the public average over it must still be a number."""
    import math

    from conftest import build
    from kb.engine import Engine
    from kb.index import IndexStore
    from kb.parameters import parse_request

    (articles_copy / "plain-note.md").write_text(
        "---\ntitle: Plain note\nsummary: A note with no headings and no tags.\nupdated: 2026-11-01\n"
        "sources: [001_7c306c35706ba94e.txt]\n---\nJust one paragraph about needles, with no headings.\n",
        encoding="utf-8",
    )
    build(articles_copy, tmp_path / "index")
    store = IndexStore(tmp_path / "index")
    engine = Engine(store, store.current_name())
    try:
        for audience in ("public", "staff"):
            result = engine.search(parse_request({"q": ["what they look like needles"]}, engine.taxonomy), audience)
            assert result["total"] >= 1 and all(math.isfinite(hit["score"]) for hit in result["hits"]), result["hits"]
    finally:
        engine.close()
