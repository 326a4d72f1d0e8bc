"""Analysis word by word: QueryAnalyzer gives exactly the terms Whoosh's whole analyzer gives
for the same text (synonym phrases included), and IndexingAnalyzer exactly its tokens."""
from __future__ import annotations

import pickle
import random
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh.analysis import CompositeAnalyzer, LowercaseFilter, RegexTokenizer, StemFilter

from kb.analysis import IndexingAnalyzer, QueryAnalyzer, WordTerms, base_chain, spelling_analyzer

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
    monkeypatch.setattr(WordTerms, "WORDS_KEPT", 3)
    query = QueryAnalyzer(articles_engine.analyzer)
    for text in ["scars cost", "laser peel needling", "scars", "collagen induction therapy downtime"]:
        assert query(text) == whoosh_terms(articles_engine.analyzer, text)
        assert query._terms.terms.cache_info().currsize <= 3


def test_a_chain_without_synonyms_works_and_other_shapes_are_refused():
    plain = base_chain()
    assert QueryAnalyzer(plain)("The scars, scarring") == whoosh_terms(plain, "The scars, scarring") == ["scar"]
    with pytest.raises(ValueError):
        QueryAnalyzer(RegexTokenizer(gaps=True) | LowercaseFilter())
    assert QueryAnalyzer(RegexTokenizer() | StemFilter())("Needles") == ["Needl"]


# -- indexing ---------------------------------------------------------------------------------

#: The calls Whoosh's fields make when indexing: Frequency and Existence postings, and our
#: SpannedText, which also asks for character spans.
INDEXING_CALLS = [{"mode": "index", "boosts": True}, {"mode": "index", "chars": True, "boosts": True}, {"mode": "index"}]


def whoosh_tokens(analyzer, text: str, **call) -> list[tuple]:
    """Everything a consumer of the token stream reads, token by token."""
    return [
        (t.text, t.boost, t.stopped, getattr(t, "pos", None), getattr(t, "startchar", None), getattr(t, "endchar", None))
        for t in analyzer(text, **call)
    ]


def the_analyzers(engine) -> list[IndexingAnalyzer]:
    return [engine.analyzer, engine.ix.schema["words"].analyzer]


def test_indexing_every_article_gives_whooshs_tokens(articles_engine):
    texts = [articles_engine.text(docnum) for docnum in range(articles_engine.reader.doc_count_all())]
    texts += phrases_as_written(articles_engine) + HOSTILE_QUERIES
    for analyzer in the_analyzers(articles_engine):
        assert isinstance(analyzer, IndexingAnalyzer)
        whoosh = CompositeAnalyzer(*analyzer.items)
        for call in INDEXING_CALLS:
            compared = 0
            for text in texts:
                expected = whoosh_tokens(whoosh, text, **call)
                assert whoosh_tokens(analyzer, text, **call) == expected, (text, call)
                compared += len(expected)
            assert compared > 5_000
        assert analyzer._words.terms.cache_info().currsize  # the word-by-word path was taken


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_indexing_any_text_gives_whooshs_tokens(articles_engine, text):
    for analyzer in the_analyzers(articles_engine):
        whoosh = CompositeAnalyzer(*analyzer.items)
        for call in INDEXING_CALLS:
            assert whoosh_tokens(analyzer, text, **call) == whoosh_tokens(whoosh, text, **call)


def test_other_calls_run_whooshs_own_chain(articles_engine):
    """Positions, kept stop words and query mode are not the indexing path's: Whoosh answers them."""
    text = "The cost of micro-needling: what patients pay, and the downtime after a session."
    analyzer = articles_engine.analyzer
    whoosh = CompositeAnalyzer(*analyzer.items)
    for call in [{"mode": "index", "positions": True}, {"mode": "index", "removestops": False, "chars": True}, {"mode": "query"}, {}]:
        assert whoosh_tokens(analyzer, text, **call) == whoosh_tokens(whoosh, text, **call), call
    assert all(token[3] is not None for token in whoosh_tokens(analyzer, text, mode="index", positions=True))


def test_an_indexing_analyzer_is_pickled_without_the_words_it_has_seen(articles_engine):
    analyzer = spelling_analyzer()
    list(analyzer("Fractional microneedling for rolling scars", mode="index"))
    assert analyzer._words.terms.cache_info().currsize
    copy = pickle.loads(pickle.dumps(analyzer))
    assert copy._words.terms.cache_info().currsize == 0
    text = "Rolling scars after fractional microneedling"
    assert whoosh_tokens(copy, text, mode="index") == whoosh_tokens(CompositeAnalyzer(*copy.items), text, mode="index")


def test_indexing_remembers_a_bounded_number_of_words(monkeypatch):
    monkeypatch.setattr(WordTerms, "WORDS_KEPT", 3)
    analyzer = IndexingAnalyzer(base_chain())
    text = "scars laser peels needling collagen scars"
    assert whoosh_tokens(analyzer, text, mode="index") == whoosh_tokens(base_chain(), text, mode="index")
    assert analyzer._words.terms.cache_info().currsize <= 3
    with pytest.raises(ValueError):
        IndexingAnalyzer(RegexTokenizer(gaps=True), LowercaseFilter())
