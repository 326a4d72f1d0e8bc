"""Snippets: passages of an article's text around the words searched for, with <mark> around them.

Whoosh's highlighter runs the whole analyzer over every hit's text, token by token through
six Python filters: about 1.1 ms for a 250-word abstract here, most of a search's time. Here
the text is split with the analyzer's own tokenizer pattern (C), each distinct word goes
through the analyzer once per index version, only the words that match become tokens, and
Whoosh's PinpointFragmenter cuts the passages from them. Synonym phrases ("topical
anaesthetic" for "numbing cream") are found in the sequence of analyzed words, as the
index's SynonymFilter found them.
"""
from __future__ import annotations

import html

from whoosh import highlight
from whoosh.analysis import Token

from kb.analysis import SynonymFilter


class MarkFormatter(highlight.Formatter):
    """Snippet HTML in which <mark> is the only markup; every other character is escaped."""

    between = " … "

    def format_token(self, text, token, replace=False):
        return f"<mark>{html.escape(highlight.get_text(text, token, replace), quote=False)}</mark>"

    def _text(self, text):
        return html.escape(text, quote=False)


class Snippets:
    """Makes snippets for one index version's text analyzer; remembers each word's analysis."""

    def __init__(self, analyzer, *, maxchars: int, surround: int, fragments: int):
        tokenizer = analyzer.items[0]
        self._word = tokenizer.expression
        self._analyzer = analyzer
        synonyms = next((f for f in analyzer.items if isinstance(f, SynonymFilter)), None)
        self._phrases: dict[str, list[tuple[str, ...]]] = {}
        for phrase, canonical in (synonyms.table.items() if synonyms else ()):
            if len(phrase) > 1:
                self._phrases.setdefault(canonical, []).append(phrase)
        # Bounded by the words of the indexed texts: snippets are only made from them.
        self._terms: dict[str, tuple[str, ...]] = {}
        self._fragmenter = highlight.PinpointFragmenter(maxchars=maxchars, surround=surround, autotrim=True)
        self._fragments = fragments
        self._formatter = MarkFormatter()

    def _terms_of(self, word: str) -> tuple[str, ...]:
        """The word's indexed term and its one-word synonyms' canonical terms; () for a stop word."""
        terms = self._terms.get(word)
        if terms is None:
            tokens = [(t.text, t.stopped) for t in self._analyzer(word, mode="index", removestops=False)]
            terms = self._terms[word] = tuple(text for text, stopped in tokens if not stopped)
        return terms

    def snippet(self, text: str, words: frozenset[str]) -> str:
        """Up to `fragments` passages of `text` around `words` (indexed terms); '' when none occurs."""
        limit = self._fragmenter.charlimit
        phrases = [phrase for word in words for phrase in self._phrases.get(word, ())]
        spans: list[tuple[int, int]] = []
        sequence: list[tuple[str, int, int]] = []  # (term, start, end) of each non-stop word, for phrases
        for match in self._word.finditer(text, 0, limit):
            terms = self._terms_of(match.group())
            if not terms:
                continue
            if not words.isdisjoint(terms):
                spans.append(match.span())
            if phrases:
                sequence.append((terms[0], match.start(), match.end()))
        for phrase in phrases:
            size = len(phrase)
            for i in range(len(sequence) - size + 1):
                if all(sequence[i + k][0] == phrase[k] for k in range(size)):
                    spans.append((sequence[i][1], sequence[i + size - 1][2]))
        if not spans:
            return ""
        tokens = [Token(text=text[start:end], startchar=start, endchar=end, matched=True, boost=1.0) for start, end in _merged(spans)]
        fragments = self._fragmenter.fragment_matches(text, tokens)
        best = highlight.top_fragments(fragments, self._fragments, highlight.BasicFragmentScorer(), highlight.FIRST)
        return self._formatter.format(best)


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted spans with overlapping or touching ones joined ("numbing cream" and "cream")."""
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(start, end) for start, end in merged]

