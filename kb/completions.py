"""Completions for a search box: the indexed words, article titles and facet values a typed prefix may finish.

Widgets ask on every keystroke, so nothing here scans every title: words, titles and facet
phrases are found by binary search, each in a `PrefixIndex` over keys sorted once per index version.
A title's keys are its text from each word's start, so "ice and" finds "Aftercare: ice and rest".
"""
from __future__ import annotations

import bisect
import heapq
from array import array
from typing import Callable, Iterable, Sequence


SUGGEST_LIMIT = 8
#: Term completions offered before titles and facet values.
TERMS_OFFERED = 4
#: A prefix whose range holds more keys than this has its answer kept once found: short
#: prefixes ("s", "mi") cover thousands of keys, and there are few of them.
REMEMBERED_RANGE = 256
MAX_CHARACTER = chr(0x10FFFF)


class PrefixIndex:
    """The best `count` distinct items among keys starting with a prefix.

    Each item has texts; its keys are those texts from each of the `starts` the item lists
    (a word: from 0; a title: from each word's start). Keys are kept as (item, start) in key
    order, not as strings, which would copy each title once per word. `rank(item)`
    orders items, smallest first. Ranges longer than REMEMBERED_RANGE are answered once and
    remembered, so a lookup is a binary search plus at most REMEMBERED_RANGE keys visited.
    """

    def __init__(self, texts: Sequence[str], starts: Callable[[str], Iterable[int]], rank: Callable[[int], object], count: int):
        keys = sorted(((item, start) for item, text in enumerate(texts) for start in starts(text)), key=lambda key: texts[key[0]][key[1]:])
        self._texts = texts
        # Arrays of C ints, not NumPy's: the search reads them one element at a time, and NumPy
        # makes a scalar object for each element read.
        self._items = array("i", [item for item, _ in keys])
        self._starts = array("i", [start for _, start in keys])
        # Keys that are whole texts (words) are kept as the strings they are, in key order: a
        # binary search over them needs no key function (a Python call per step).
        self._whole_keys = [texts[item] for item, _ in keys] if all(start == 0 for _, start in keys) else None
        self._rank = rank
        self._count = count
        self._remembered: dict[str, list[int]] = {}  # bounded: few prefixes have long ranges

    def best(self, prefix: str) -> list[int]:
        found = self._remembered.get(prefix)
        if found is not None:
            return found
        start, stop = self._range(prefix)
        found = heapq.nsmallest(self._count, set(self._items[start:stop].tolist()), key=self._rank)
        if stop - start > REMEMBERED_RANGE:
            self._remembered[prefix] = found
        return found

    def _range(self, prefix: str) -> tuple[int, int]:
        """Where the keys that start with `prefix` are, in key order."""
        if self._whole_keys is not None and prefix[-1] < MAX_CHARACTER:
            # The keys that start with "ac" are those from "ac" up to, not including, "ad".
            keys = self._whole_keys
            start = bisect.bisect_left(keys, prefix)
            return start, bisect.bisect_left(keys, prefix[:-1] + chr(ord(prefix[-1]) + 1), lo=start)
        texts, items, starts, size = self._texts, self._items, self._starts, len(prefix)

        def cut(position: int) -> str:  # keys cut to the prefix's length keep their order
            start = starts[position]
            return texts[items[position]][start : start + size]

        positions = range(len(items))
        start = bisect.bisect_left(positions, prefix, key=cut)
        return start, bisect.bisect_right(positions, prefix, lo=start, key=cut)


class Completions:
    """One audience's completions for one index version.

    `words` maps each indexed word to how many articles use it; `titles` are (title, slug);
    `facets` are (phrase, label, facet key, value) for every label and synonym of a value.
    """

    def __init__(
        self,
        words: dict[str, int],
        titles: Sequence[tuple[str, str]],
        facets: Sequence[tuple[str, str, str, str]],
        stem: Callable[[str], str] = lambda word: word,
    ):
        self._words = sorted(word for word in words if len(word) >= 3)
        self._stem = stem
        frequencies = [words[w] for w in self._words]
        # The most used words first; among equally used ones, the alphabetically first.
        self._word_index = PrefixIndex(self._words, lambda word: (0,), lambda i: (-frequencies[i], i), TERMS_OFFERED)
        self._titles = sorted((title.casefold(), title, slug) for title, slug in titles)
        folded_titles = [folded for folded, _, _ in self._titles]
        self._title_index = PrefixIndex(folded_titles, _word_starts, lambda i: i, SUGGEST_LIMIT)  # titles alphabetically
        self._facets = sorted((phrase.casefold(), label, key, value) for phrase, label, key, value in facets)
        # Every phrase a prefix finds, in alphabetical order (the list's): a value is offered once,
        # where its first phrase stands.
        self._facet_index = PrefixIndex([phrase for phrase, _, _, _ in self._facets], _word_starts, lambda i: i, len(self._facets))

    def suggest(self, prefix: str) -> list[dict]:
        """Up to SUGGEST_LIMIT: the most used completions of the word being typed, then titles, then
        facet values, for `prefix`."""
        limit = SUGGEST_LIMIT
        folded = " ".join(prefix.casefold().split())
        if not folded:
            return []
        head, _, last = folded.rpartition(" ")
        lead = f"{head} " if head else ""
        suggestions: list[dict] = []
        if last:
            # Never an inflection of the word as typed ("cost" -> "costs"): that is not finishing it.
            words = (self._words[i] for i in self._word_index.best(last))
            typed = self._stem(last)
            suggestions += [{"text": lead + word, "kind": "term"} for word in words if word != last and self._stem(word) != typed]
        for i in self._title_index.best(folded)[: max(0, limit - 1 - len(suggestions))]:
            _, title, slug = self._titles[i]
            suggestions.append({"text": title, "kind": "title", "slug": slug})
        seen = set()
        for i in self._facet_index.best(folded) if len(suggestions) < limit else []:
            _, label, key, value = self._facets[i]
            if (key, value) not in seen:
                seen.add((key, value))
                suggestions.append({"text": label, "kind": "facet", "facet": key, "value": value})
                if len(suggestions) == limit:
                    break
        return suggestions[:limit]


def _word_starts(text: str) -> list[int]:
    """Where `text`'s words start: its beginning, and after each space."""
    return [0] + [i + 1 for i, ch in enumerate(text) if ch == " "]
