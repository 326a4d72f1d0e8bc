"""Query analysis: QueryAnalyzer, which remembers each word's analysis, gives exactly the terms
Whoosh's whole analyzer gives for the same text (synonym phrases included)."""
from __future__ import annotations

import random
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh.analysis import LowercaseFilter, RegexTokenizer, StemFilter

from kb.analysis import QueryAnalyzer, base_chain

from tests.test_search import HOSTILE_QUERIES


def whoosh_terms(analyzer, text: str) -> list[str]:
    return list(dict.fromkeys(token.text for token in analyzer(text, mode="query")))


def phrases_as_written(engine) -> list[str]:
    """Every synonym phrase of the taxonomy, as written and in variants a user might type."""
    found = []
    for group in engine.taxonomy.synonym_groups():
        for phrase in (group.canonical, *group.phrases):
            found += [phrase, phrase.upper(), phrase.replace(" ", "-"), f"the {phrase} of the", f"{phrase}, {phrase}s"]
    return found


def test_every_sentence_of_every_article_gives_whooshs_terms(articles_engine):
    analyzer = articles_engine.analyzer
    query = QueryAnalyzer(analyzer)
    texts = [articles_engine.text(docnum) for docnum in range(articles_engine.reader.doc_count_all())]
    sentences = [s for text in texts for s in re.split(r"(?<=[.!?])\s+", text) if s]
    compared = 0
    for text in sentences + phrases_as_written(articles_engine) + HOSTILE_QUERIES:
        expected = whoosh_terms(analyzer, text)
        assert query(text) == expected, text
        assert query(text) == expected, text  # again, from the remembered words
        compared += bool(expected)
    assert compared > 1000


def test_synonym_phrases_become_their_group_across_words(articles_engine):
    query = QueryAnalyzer(articles_engine.analyzer)
    assert query("micro needling cost") == query("microneedling cost") == whoosh_terms(articles_engine.analyzer, "micro needling cost")
    assert len(query("micro needling cost")) == 2


def test_random_word_sequences_give_whooshs_terms(articles_engine):
    analyzer = articles_engine.analyzer
    query = QueryAnalyzer(analyzer)
    words = sorted({w for phrase in phrases_as_written(articles_engine) for w in phrase.split()} | {"the", "a", "of", "scars", "3.5", "e.g", "U.S."})
    rng = random.Random(5)
    for _ in range(3000):
        text = rng.choice([" ", ", ", "-", " the "]).join(rng.choices(words, k=rng.randint(1, 6)))
        assert query(text) == whoosh_terms(analyzer, text), text


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_any_text_gives_whooshs_terms(articles_engine, text):
    assert QueryAnalyzer(articles_engine.analyzer)(text) == whoosh_terms(articles_engine.analyzer, text)


def test_past_the_words_kept_the_memory_starts_again(articles_engine, monkeypatch):
    monkeypatch.setattr(QueryAnalyzer, "WORDS_KEPT", 3)
    query = QueryAnalyzer(articles_engine.analyzer)
    for text in ["scars cost", "laser peel needling", "scars", "collagen induction therapy downtime"]:
        assert query(text) == whoosh_terms(articles_engine.analyzer, text)
        assert len(query._terms) <= 3


def test_a_chain_without_synonyms_works_and_other_shapes_are_refused():
    plain = base_chain()
    assert QueryAnalyzer(plain)("The scars, scarring") == whoosh_terms(plain, "The scars, scarring") == ["scar"]
    with pytest.raises(ValueError):
        QueryAnalyzer(RegexTokenizer(gaps=True) | LowercaseFilter())
    assert QueryAnalyzer(RegexTokenizer() | StemFilter())("Needles") == ["Needl"]
