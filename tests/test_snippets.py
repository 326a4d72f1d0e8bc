"""Snippets: the lookup path (one expression of the words that analyze to each term) marks exactly
what the word-by-word path marks, on every word of the clinic's real articles."""
from __future__ import annotations

import html
import random

from whoosh import highlight
from whoosh.analysis import Token

from kb.search import SNIPPET_CHARS, SNIPPET_FRAGMENTS, SNIPPET_SURROUND, Engine
from kb.snippets import BETWEEN_PASSAGES, CHARLIMIT, _merged, passages_html


def bodies(engine: Engine) -> list[str]:
    return [engine.text(docnum) for docnum in range(engine.reader.doc_count_all())]


def terms_of(engine: Engine, text: str) -> set[str]:
    return {token.text for token in engine.analyzer(text, mode="index") if not token.stopped}


def assert_same_spans(snippets, text: str, words: frozenset[str]) -> None:
    looked_up = _merged(snippets._spans_by_lookup(text, words))
    assert looked_up == _merged(snippets._spans_word_by_word(text, words)), sorted(words)


def test_every_term_of_every_article_is_marked_the_same_both_ways(articles_engine):
    snippets = articles_engine._snippets
    compared = 0
    for text in bodies(articles_engine):
        assert text.isascii()  # the articles are what the lookup path serves
        for term in sorted(terms_of(articles_engine, text)):
            words = frozenset([term])
            if snippets._can_look_up(words):
                assert_same_spans(snippets, text, words)
                compared += 1
    assert compared > 1500  # the comparison covered the articles' vocabulary, not a handful of words


def test_several_terms_at_once_are_marked_the_same_both_ways(articles_engine):
    snippets = articles_engine._snippets
    texts = bodies(articles_engine)
    pool = sorted({term for text in texts for term in terms_of(articles_engine, text) if snippets._can_look_up(frozenset([term]))})
    rng = random.Random(11)
    for _ in range(300):
        words = frozenset(rng.sample(pool, rng.randint(2, 6)))
        assert_same_spans(snippets, rng.choice(texts), words)


def test_one_word_synonyms_are_looked_up_through_their_group(articles_engine):
    """A group's canonical term is marked on the words of its one-word synonyms, whatever their first letters."""
    snippets = articles_engine._snippets
    texts = bodies(articles_engine)
    through_synonyms = 0
    for canonical in snippets._single_words:
        words = frozenset([canonical])
        if not snippets._can_look_up(words):
            continue
        foreign = [w for w in snippets._surface_words(canonical) if w[:2] != canonical[:2]]
        if foreign:
            through_synonyms += 1
            for text in texts:
                assert_same_spans(snippets, text, words)
    assert through_synonyms >= 1
    assert "hurt" in snippets._surface_words("pain")  # the group "pain" holds "hurt", "discomfort", "sting"


def test_capitals_and_tokens_joined_by_dots_are_treated_as_the_tokenizer_treats_them(articles_engine):
    snippets = articles_engine._snippets
    (scar,) = terms_of(articles_engine, "scars")
    text = "Scars fade. SCARRING too; scars.Later and e.scar are single tokens, as is scar_type."
    assert [text[a:b] for a, b in snippets._spans_by_lookup(text, frozenset([scar]))] == ["Scars", "SCARRING"]
    assert_same_spans(snippets, text, frozenset([scar]))


def test_text_with_accents_takes_the_word_by_word_path_and_marks_folded_words(articles_engine):
    hit = articles_engine._snippets.snippet("Une anesthésie topique, then more text.", frozenset(terms_of(articles_engine, "anesthesie")))
    assert "<mark>anesthésie</mark>" in hit


def test_punctuation_outside_ascii_splits_words_as_the_tokenizer_does(articles_engine):
    snippets = articles_engine._snippets
    (scar,) = terms_of(articles_engine, "scars")
    text = "Scars\u2013redness \u00b1 scarring \u2019scars\u2019 fade."
    assert snippets.snippet(text, frozenset([scar])).count("<mark>") == 3
    assert [text[a:b] for a, b in snippets._spans_by_lookup(text, frozenset([scar]))] == ["Scars", "scarring", "scars"]
    assert_same_spans(snippets, text, frozenset([scar]))


def test_phrases_allow_stop_words_and_punctuation_between_their_words_but_not_other_words(articles_engine):
    snippets = articles_engine._snippets
    words = frozenset(terms_of(articles_engine, "skin needling") - terms_of(articles_engine, "skin") - terms_of(articles_engine, "needling"))
    assert words and not words & {"skin", "needl"}  # only the group's term: marks come from the phrase
    text = (
        "Skin needling helps. Skin, the needling. Skin and a needling. Skin deep needling. Skin.needling is one token, "
        "as are the.needling in skin the.needling and skin.the in skin.the needling. Ok.skin needling ends one."
    )
    marked = [text[a:b] for a, b in _merged(snippets._spans_by_lookup(text, words))]
    assert marked == ["Skin needling", "Skin, the needling", "Skin and a needling"]  # not "Ok.skin needling"
    assert_same_spans(snippets, text, words)


# -- passages: as Whoosh's PinpointFragmenter, BasicFragmentScorer and Formatter make them -------------


class WhooshMarks(highlight.Formatter):
    """The formatter snippets were made with through Whoosh: <mark> around each match, the rest escaped."""

    between = BETWEEN_PASSAGES

    def format_token(self, text, token, replace=False):
        return f"<mark>{html.escape(highlight.get_text(text, token, replace), quote=False)}</mark>"

    def _text(self, text):
        return html.escape(text, quote=False)


def through_whoosh(text: str, marks: list[tuple[int, int]], maxchars: int, surround: int, count: int) -> str:
    """Whoosh's passages for the marks, the best `count` by its scorer, ties to the earlier passage."""
    tokens = [Token(text=text[a:b], startchar=a, endchar=b, matched=True, boost=1.0) for a, b in marks]
    fragmenter = highlight.PinpointFragmenter(maxchars=maxchars, surround=surround, autotrim=True, charlimit=CHARLIMIT)
    fragments = list(fragmenter.fragment_matches(text, tokens))
    scorer = highlight.BasicFragmentScorer()
    chosen = sorted(range(len(fragments)), key=lambda i: (-scorer(fragments[i]), i))[:count]
    return WhooshMarks().format([fragments[i] for i in sorted(chosen, key=lambda i: (fragments[i].startchar, i))])


def test_passages_of_the_clinic_articles_are_whooshs(articles_engine):
    snippets = articles_engine._snippets
    rng = random.Random(12)
    compared = 0
    for text in bodies(articles_engine):
        own = sorted(term for term in terms_of(articles_engine, text) if snippets._can_look_up(frozenset([term])))
        for _ in range(60):
            marks = _merged(snippets._spans_by_lookup(text, frozenset(rng.sample(own, rng.randint(1, 4)))))
            if marks:
                expected = through_whoosh(text, marks, SNIPPET_CHARS, SNIPPET_SURROUND, SNIPPET_FRAGMENTS)
                assert passages_html(text, marks, SNIPPET_CHARS, SNIPPET_SURROUND, SNIPPET_FRAGMENTS) == expected
                compared += 1
    assert compared > 1000


def test_passages_of_crowded_and_sparse_marks_are_whooshs():
    """Random words with random marks, at sizes that group marks in every way (and escape '<' and '&')."""
    rng = random.Random(13)
    vocabulary = ["scar", "Scar", "acne", "a", "<b>", "R&D", "needling", "x" * 30, "", "of", "peel"]
    for _ in range(2000):
        words = [rng.choice(vocabulary) for _ in range(rng.randint(1, 120))]
        text = "".join(word + rng.choice([" ", " ", ", ", ".  ", "-"]) for word in words)
        spans, at = [], 0
        for word in words:
            at = text.index(word, at)
            if word and rng.random() < 0.3:
                spans.append((at, at + len(word)))
            at += len(word)
        marks = _merged(spans)
        if not marks:
            continue
        maxchars, surround, count = rng.choice([(220, 70, 2), (40, 10, 2), (15, 3, 3), (500, 0, 1)])
        assert passages_html(text, marks, maxchars, surround, count) == through_whoosh(text, marks, maxchars, surround, count), (text, marks)


def test_a_snippet_escapes_the_text_and_marks_only_the_words(articles_engine):
    (scar,) = terms_of(articles_engine, "scars")
    # The passage is cut back to whole words each side ("Old", "fade"), as Whoosh's autotrim does.
    assert articles_engine._snippets.snippet("Old <b>Scars</b> & scars fade", frozenset([scar])) == (
        "&lt;b&gt;<mark>Scars</mark>&lt;/b&gt; &amp; <mark>scars</mark>"
    )


def test_spans_are_sorted_and_overlapping_or_touching_ones_joined():
    assert _merged([(20, 25), (0, 3), (8, 12)]) == [(0, 3), (8, 12), (20, 25)]
    assert _merged([(5, 9), (0, 3), (3, 4), (8, 12), (20, 25), (20, 22)]) == [(0, 4), (5, 12), (20, 25)]
    assert _merged([]) == []
