"""Ranking settings: parsed strictly at startup, and each knob changes scoring the way it says."""
from __future__ import annotations

import pytest

from conftest import FIXTURES, make_app
from kb.errors import ConfigError
from kb.ranking import Ranking, parse_field_weights
from kb.parameters import parse_request
from kb.settings import DEFAULTS


def test_defaults_come_from_the_settings():
    ranking = Ranking.from_settings()
    assert dict(ranking.field_weights) == dict(parse_field_weights(DEFAULTS["RANK_FIELD_WEIGHTS"]))
    assert (ranking.k1, ranking.b, ranking.idf) == (DEFAULTS["RANK_K1"], DEFAULTS["RANK_B"], DEFAULTS["RANK_IDF"])
    assert ranking.model == DEFAULTS["RANK_MODEL"] == "bm25f"


def test_environment_strings_are_accepted():
    ranking = Ranking.from_settings({**DEFAULTS, "RANK_K1": "0.9", "RANK_COORDINATION": "0.5", "RANK_IDF": "whoosh", "RANK_MODEL": "per-field"})
    assert ranking.k1 == 0.9 and ranking.coordination == 0.5 and ranking.idf == "whoosh" and ranking.model == "per-field"


@pytest.mark.parametrize(
    "name, value",
    [
        ("RANK_K1", "fast"), ("RANK_B", "1.5"), ("RANK_COORDINATION", "-1"), ("RANK_IDF", "tfidf"), ("RANK_MODEL", "bm25"),
        ("RANK_QUESTION_WORD_WEIGHT", "2"),
        ("RANK_FIELD_WEIGHTS", "title=2"), ("RANK_FIELD_WEIGHTS", "title=2,summary=1,headings=1,tags=1,body=x"),
        ("RANK_FIELD_WEIGHTS", "title=2,summary=1,headings=1,tags=1,bodies=1"),
        ("RANK_FIELD_WEIGHTS", "title=-1,summary=1,headings=1,tags=1,body=1"),
    ],
)
def test_a_bad_ranking_setting_names_itself(name, value):
    with pytest.raises(ConfigError, match=name):
        Ranking.from_settings({**DEFAULTS, name: value})


def test_the_app_reads_ranking_settings(built_index, tmp_path):
    app = make_app(FIXTURES, built_index, tmp_path / "instance", RANK_K1=2.0, RANK_IDF="probabilistic")
    try:
        engine = app.extensions["kb.search"].engine()
        assert engine.ranking.k1 == 2.0 and engine.ranking.idf == "probabilistic"
        assert engine.postings.ranking is engine.ranking
    finally:
        app.extensions["kb.search"].close()


def ranked(engine, text: str) -> list[str]:
    return [hit["slug"] for hit in engine.search(parse_request({"q": [text]}, engine.taxonomy))["hits"]]


def engine_with(built_index, tmp_path, **settings):
    app = make_app(FIXTURES, built_index, tmp_path / "instance", **settings)
    return app, app.extensions["kb.search"].engine()


def test_question_words_weigh_less_but_still_count_alone(built_index, tmp_path):
    app, engine = engine_with(built_index, tmp_path, RANK_QUESTION_WORD_WEIGHT=0.0)
    try:
        assert ranked(engine, "what does it cost")[0] == "microneedling-cost"
        query = engine.text_query("what is the cost")
        boosts = {term: clause.weight for clause in query for _, term, _ in clause.terms if term in ("what", "cost")}
        assert boosts == {"what": 0.0, "cost": boosts["cost"]} and boosts["cost"] > 0
        assert engine.text_query("what is it") is not None  # nothing else to search for: the words count
    finally:
        app.extensions["kb.search"].close()


def test_probabilistic_idf_separates_common_from_rare_words_more(built_index, tmp_path):
    ratios = {}
    for idf in ("whoosh", "probabilistic"):
        app, engine = engine_with(built_index, tmp_path / idf, RANK_IDF=idf)
        try:
            reader = engine.reader
            common = max(reader.field_terms("body"), key=lambda term: reader.doc_frequency("body", term))
            rarity = engine.postings.idf
            ratios[idf] = rarity(reader.doc_frequency("body", "zanzibar")) / rarity(reader.doc_frequency("body", common))
        finally:
            app.extensions["kb.search"].close()
    assert ratios["probabilistic"] > 1.5 * ratios["whoosh"] > 1.5
