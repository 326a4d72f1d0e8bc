"""Snippets: the spans the body field records as it is indexed are exactly the analyzer's tokens,
on every term of the clinic's real articles; passages are Whoosh's."""
from __future__ import annotations

import html
import pickle
import random

from whoosh import highlight
from whoosh.analysis import Token
from whoosh.fields import TEXT

from kb import spans as spans_module
from kb.engine import SNIPPET_CHARS, SNIPPET_FRAGMENTS, SNIPPET_SURROUND, Engine
from kb.snippets import BETWEEN_PASSAGES, BLOCK_BREAK, CHARLIMIT, _merged, passages_html, snippets_html
from kb.spans import SpannedText, spans, term_keys


def bodies(engine: Engine) -> list[str]:
    return [engine.text(docnum) for docnum in range(engine.reader.doc_count_all())]


def terms_of(engine: Engine, text: str) -> set[str]:
    return {token.text for token in engine.analyzer(text, mode="index") if not token.stopped}


def analyzed_spans(analyzer, text: str) -> dict[str, list[tuple[int, int]]]:
    """Each term's (start, end) as the analyzer itself reports them: what the column must hold."""
    found: dict[str, list[tuple[int, int]]] = {}
    for token in analyzer(text, mode="index", chars=True):
        if not token.stopped and token.endchar <= CHARLIMIT:
            found.setdefault(token.text, []).append((token.startchar, token.endchar))
    return found


def spanned(analyzer, text: str) -> bytes:
    """`text`'s column value, as the body field writes it while indexing."""
    field = SpannedText(analyzer)
    list(field.index(text))
    return field.to_column_value(text)


def marked(analyzer, text: str, terms) -> list[str]:
    return [text[a:b] for a, b in _merged(spans(spanned(analyzer, text), term_keys(terms)))]


def test_the_index_keeps_every_terms_spans_as_the_analyzer_finds_them(articles_engine):
    compared = 0
    for docnum, text in enumerate(bodies(articles_engine)):
        value = articles_engine._spans[docnum]
        expected = analyzed_spans(articles_engine.analyzer, text)
        for term, where in expected.items():
            assert spans(value, term_keys([term])) == where, term
            compared += 1
        assert spans(value, term_keys(["notaword"])) == []
    assert compared > 1500  # every term of every article, not a handful


def test_several_terms_at_once_give_all_their_spans(articles_engine):
    rng = random.Random(11)
    texts = bodies(articles_engine)
    for _ in range(300):
        docnum = rng.randrange(len(texts))
        expected = analyzed_spans(articles_engine.analyzer, texts[docnum])
        terms = rng.sample(sorted(expected), min(len(expected), rng.randint(2, 6))) + ["absentword"]
        found = spans(articles_engine._spans[docnum], term_keys(terms))
        assert sorted(found) == sorted(span for term in terms for span in expected.get(term, []))


def test_the_field_indexes_exactly_as_whooshs_text_field(articles_engine):
    """Same postings (term, frequency, weight, encoded value) as TEXT, so scores are unchanged."""
    analyzer = articles_engine.analyzer
    plain, field = TEXT(analyzer=analyzer, phrase=False), SpannedText(analyzer)
    for text in bodies(articles_engine) + ["", "The and of", "Une anesthésie topique"]:
        assert sorted(field.index(text)) == sorted(plain.index(text))


def test_a_value_not_just_indexed_is_analyzed_for_its_column(articles_engine):
    analyzer = articles_engine.analyzer
    field = SpannedText(analyzer)
    first, second = "Scars fade.", "Acne scars and acne."
    list(field.index(first))
    assert field.to_column_value(second) == spanned(analyzer, second) != spanned(analyzer, first)
    # Equal text in another string object is analyzed again too, with the same result.
    list(field.index(second))
    assert field.to_column_value("".join(["Scars", " fade."])) == spanned(analyzer, first)


def test_the_pickled_schema_carries_no_documents_spans(articles_engine):
    field = SpannedText(articles_engine.analyzer)
    list(field.index("Scars fade."))
    assert pickle.loads(pickle.dumps(field))._last is None


def test_capitals_and_tokens_joined_by_dots_are_treated_as_the_tokenizer_treats_them(articles_engine):
    (scar,) = terms_of(articles_engine, "scars")
    text = "Scars fade. SCARRING too; scars.Later and e.scar are single tokens, as is scar_type."
    assert marked(articles_engine.analyzer, text, [scar]) == ["Scars", "SCARRING"]


def test_accented_words_are_marked_where_their_folded_term_matched(articles_engine):
    text = "Une anesthésie topique, then more text."
    assert "<mark>anesthésie</mark>" in snippets_html([(text, spanned(articles_engine.analyzer, text))], terms_of(articles_engine, "anesthesie"), 220, 70, 2)[0]


def test_punctuation_outside_ascii_splits_words_as_the_tokenizer_does(articles_engine):
    (scar,) = terms_of(articles_engine, "scars")
    text = "Scars\u2013redness \u00b1 scarring \u2019scars\u2019 fade."
    assert marked(articles_engine.analyzer, text, [scar]) == ["Scars", "scarring", "scars"]


def test_phrases_allow_stop_words_and_punctuation_between_their_words_but_not_other_words(articles_engine):
    words = frozenset(terms_of(articles_engine, "skin needling") - terms_of(articles_engine, "skin") - terms_of(articles_engine, "needling"))
    assert words and not words & {"skin", "needl"}  # only the group's term: marks come from the phrase
    text = (
        "Skin needling helps. Skin, the needling. Skin and a needling. Skin deep needling. Skin.needling is one token, "
        "as are the.needling in skin the.needling and skin.the in skin.the needling. Ok.skin needling ends one."
    )
    assert marked(articles_engine.analyzer, text, words) == ["Skin needling", "Skin, the needling", "Skin and a needling"]


def test_one_word_synonyms_mark_the_word_for_their_groups_term(articles_engine):
    (pain,) = terms_of(articles_engine, "pain")  # the group "pain" holds "hurt", "discomfort", "sting"
    text = "It may hurt a little; the pain fades."
    assert marked(articles_engine.analyzer, text, [pain]) == ["hurt", "pain"]


def test_only_spans_within_the_snippet_limit_are_kept(articles_engine):
    (scar,) = terms_of(articles_engine, "scars")
    text = "scars " + "x" * (CHARLIMIT - 8) + " scars scars"
    assert [span for span in spans(spanned(articles_engine.analyzer, text), term_keys([scar]))] == [(0, 5)]


def test_a_text_with_more_spans_than_the_value_can_hold_keeps_the_first(articles_engine, monkeypatch):
    monkeypatch.setattr(spans_module, "MOST_SPANS", 3)
    text = "acne scars acne scars acne"
    value = spanned(articles_engine.analyzer, text)
    # Terms in the order they first appear: all three of "acne", none of "scars".
    assert sorted(spans(value, term_keys(terms_of(articles_engine, text)))) == [(0, 4), (11, 15), (22, 26)]


def test_an_empty_value_has_no_spans():
    assert spans(b"", term_keys(["scar"])) == []
    assert spans(spans_module.encode({}), term_keys(["scar"])) == []


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
    formatted = WhooshMarks().format([fragments[i] for i in sorted(chosen, key=lambda i: (fragments[i].startchar, i))])
    return formatted.replace("\n", BLOCK_BREAK)  # where ours shows the end of a block


def test_passages_of_the_clinic_articles_are_whooshs(articles_engine):
    rng = random.Random(12)
    compared = 0
    for docnum, text in enumerate(bodies(articles_engine)):
        own = sorted(terms_of(articles_engine, text))
        for _ in range(60):
            marks = _merged(spans(articles_engine._spans[docnum], term_keys(rng.sample(own, rng.randint(1, 4)))))
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
    text = "Old <b>Scars</b> & scars fade"
    assert snippets_html([(text, spanned(articles_engine.analyzer, text))], [scar], SNIPPET_CHARS, SNIPPET_SURROUND, SNIPPET_FRAGMENTS) == [
        "&lt;b&gt;<mark>Scars</mark>&lt;/b&gt; &amp; <mark>scars</mark>"
    ]


def test_a_hit_without_the_terms_gets_no_snippet(articles_engine):
    text = "Nothing to see."
    assert snippets_html([(text, spanned(articles_engine.analyzer, text))], ["scar"], 220, 70, 2) == [""]


def test_spans_are_sorted_and_overlapping_or_touching_ones_joined():
    assert _merged([(20, 25), (0, 3), (8, 12)]) == [(0, 3), (8, 12), (20, 25)]
    assert _merged([(5, 9), (0, 3), (3, 4), (8, 12), (20, 25), (20, 22)]) == [(0, 4), (5, 12), (20, 25)]
    assert _merged([]) == []


def test_a_passage_never_runs_one_block_into_the_next(articles_engine):
    """Headings, list items and table cells end with a visible break; wrapped lines of one paragraph do not."""
    html_text = "<h2>Scar types</h2><ul><li>narrow, deep pits</li><li>wider dips</li></ul><table><tr><td>ice pick</td><td>boxcar</td></tr></table><p>one\nparagraph</p>"
    from kb.rendering import html_to_text

    text = html_to_text(html_text)
    assert text.split("\n") == ["Scar types", "narrow, deep pits", "wider dips", "ice pick", "boxcar", "one paragraph"]
    start = text.index("pits")
    passage = passages_html(text, [(start, start + 4)], SNIPPET_CHARS, SNIPPET_SURROUND, SNIPPET_FRAGMENTS)
    assert "types · narrow, deep <mark>pits</mark> · wider dips · ice pick · boxcar" in passage
    for docnum, body in enumerate(bodies(articles_engine)):
        marks = _merged(spans(articles_engine._spans[docnum], term_keys(sorted(terms_of(articles_engine, body))[:3])))
        if marks:
            assert "\n" not in passages_html(body, marks, SNIPPET_CHARS, SNIPPET_SURROUND, SNIPPET_FRAGMENTS)
