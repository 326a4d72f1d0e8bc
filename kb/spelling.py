"""Spelling: the known word nearest to a misspelt one, by typos first, then by how common it is.

How many typos a word may hold grows with its length, as in Meilisearch's typo tolerance (its
defaults, `minWordSizeForTypos`): none under five letters, one from five, two from nine. A
typo is a letter missing, added, replaced, or two neighbours swapped (the optimal string
alignment distance). Short words have too many neighbours for a guess to be right: "differin"
is one retinoid, not "differ" two letters shorter, and "Ativan" is not "asian".
"""
from __future__ import annotations

from typing import Iterable, Mapping

from rapidfuzz import process
from rapidfuzz.distance import OSA

#: A word this long may hold one typo; shorter words are never corrected.
ONE_TYPO_FROM = 5
#: A word this long may hold two.
TWO_TYPOS_FROM = 9


def typos_allowed(word: str) -> int:
    """How many typos a word of this length may be corrected for."""
    return 2 if len(word) >= TWO_TYPOS_FROM else 1 if len(word) >= ONE_TYPO_FROM else 0


class Speller:
    """The words of one index version, grouped by first letter: misspellings rarely change it, and it
    leaves few words to compare. Distances are computed by RapidFuzz in C rather than by
    Whoosh's Levenshtein automata, which are built in Python for every word."""

    def __init__(self, counts: Mapping[str, int], also_known: Iterable[str] = ()):
        self._counts = counts
        self._by_first_letter: dict[str, list[str]] = {}
        for word in sorted({*counts, *also_known}):
            self._by_first_letter.setdefault(word[:1], []).append(word)

    def nearest(self, word: str) -> str | None:
        """The known word fewest typos from `word` (at most `typos_allowed(word)`, same first
        letter); among equals the one most articles use, then the alphabetically first. None
        when there is none."""
        allowed = typos_allowed(word)
        if not allowed:
            return None
        found = [
            (candidate, typos)
            for candidate, typos, _ in process.extract(
                word, self._by_first_letter.get(word[:1], ()), scorer=OSA.distance, score_cutoff=allowed, limit=None
            )
            if candidate != word
        ]
        if not found:
            return None
        fewest = min(typos for _, typos in found)
        return min((c for c, typos in found if typos == fewest), key=lambda c: (-self._counts.get(c, 0), c))
