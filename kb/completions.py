"""Completions for a search box: the indexed words, article titles and facet values a typed prefix may finish.

Widgets ask on every keystroke. Scanning every title for the typed text took 3-5 ms on
10,000 articles whenever few titles matched ("ice and "), so words and titles are found
by binary search instead: each is a `PrefixIndex` over keys sorted once per index version.
A title's keys are its text from each word's start, so "ice and" finds "Aftercare: ice and rest".
"""
from __future__ import annotations

import bisect
import heapq
from typing import Callable, Sequence

SUGGEST_LIMIT = 8
#: Term completions offered before titles and facet values.
TERMS_OFFERED = 4
#: A prefix whose range holds more keys than this has its answer kept once found: short
#: prefixes ("s", "mi") cover thousands of keys, and there are few of them.
REMEMBERED_RANGE = 256


class PrefixIndex:
    """The best `count` distinct items among keys starting with a prefix.

    `entries` are (key, item) pairs; `rank(item)` orders items, smallest first. Ranges
    longer than REMEMBERED_RANGE are answered once and remembered, so a lookup is a
    binary search plus at most REMEMBERED_RANGE entries visited.
    """

    def __init__(self, entries: Sequence[tuple[str, int]], rank: Callable[[int], object], count: int):
        ordered = sorted(entries)
        self._keys = [key for key, _ in ordered]
        self._items = [item for _, item in ordered]
        self._rank = rank
        self._count = count
        self._remembered: dict[str, list[int]] = {}  # bounded: few prefixes have long ranges

    def best(self, prefix: str) -> list[int]:
        found = self._remembered.get(prefix)
        if found is not None:
            return found
        # Keys cut to the prefix's length keep their order, so both ends are binary searches.
        size = len(prefix)
        start = bisect.bisect_left(self._keys, prefix, key=lambda key: key[:size])
        stop = bisect.bisect_right(self._keys, prefix, lo=start, key=lambda key: key[:size])
        found = heapq.nsmallest(self._count, set(self._items[start:stop]), key=self._rank)
        if stop - start > REMEMBERED_RANGE:
            self._remembered[prefix] = found
        return found


class Completions:
    """One audience's completions for one index version.

    `words` maps each indexed word to how many articles use it; `titles` are (title, slug);
    `facets` are (phrase, label, facet key, value) for every label and synonym of a value.
    """

    def __init__(self, words: dict[str, int], titles: Sequence[tuple[str, str]], facets: Sequence[tuple[str, str, str, str]]):
        self._words = sorted(word for word in words if len(word) >= 3)
        frequencies = [words[w] for w in self._words]
        # The most used words first; among equally used ones, the alphabetically first.
        self._word_index = PrefixIndex([(w, i) for i, w in enumerate(self._words)], lambda i: (-frequencies[i], i), TERMS_OFFERED)
        self._titles = sorted((title.casefold(), title, slug) for title, slug in titles)
        self._title_index = PrefixIndex(
            [(folded[start:], i) for i, (folded, _, _) in enumerate(self._titles) for start in _word_starts(folded)],
            lambda i: i,  # titles in alphabetical order
            SUGGEST_LIMIT,
        )
        self._facets = sorted((phrase.casefold(), label, key, value) for phrase, label, key, value in facets)

    def suggest(self, prefix: str) -> list[dict]:
        """Up to SUGGEST_LIMIT: the last word's most used completions, then titles, then facet values, for `prefix`."""
        limit = SUGGEST_LIMIT
        folded = " ".join(prefix.casefold().split())
        if not folded:
            return []
        head, _, last = folded.rpartition(" ")
        lead = f"{head} " if head else ""
        suggestions: list[dict] = []
        if last:
            words = (self._words[i] for i in self._word_index.best(last))
            suggestions += [{"text": lead + word, "kind": "term"} for word in words if word != last]
        for i in self._title_index.best(folded)[: max(0, limit - 1 - len(suggestions))]:
            _, title, slug = self._titles[i]
            suggestions.append({"text": title, "kind": "title", "slug": slug})
        seen = set()
        for phrase, label, key, value in self._facets:
            if len(suggestions) >= limit:
                break
            if (phrase.startswith(folded) or f" {folded}" in f" {phrase}") and (key, value) not in seen:
                seen.add((key, value))
                suggestions.append({"text": label, "kind": "facet", "facet": key, "value": value})
        return suggestions[:limit]


def _word_starts(text: str) -> list[int]:
    """Where `text`'s words start: its beginning, and after each space."""
    return [0] + [i + 1 for i, ch in enumerate(text) if ch == " "]
