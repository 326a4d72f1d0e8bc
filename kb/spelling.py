"""Spelling: the known word nearest to a misspelt one, by typos first, then by how common it is.

How many typos a word may hold grows with its length, as in Meilisearch's typo tolerance (its
defaults, `minWordSizeForTypos`): one from five letters, two from nine. A typo is a letter
missing, added, replaced, or two neighbours swapped (the optimal string alignment distance).
Short words have too many neighbours for a guess to be right: "differin" is one retinoid, not
"differ" two letters shorter, and "Ativan" is not "asian". A four-letter word may still hold
one swap of neighbouring letters, the commonest slip and the least ambiguous: "acen" is "acne",
while "alli" is not "all".
"""
from __future__ import annotations

from typing import Iterable, Mapping

from rapidfuzz import process
from rapidfuzz.distance import OSA, Levenshtein

#: A word this long may hold one swap of neighbouring letters, and no other typo.
ONE_SWAP_FROM = 4
#: A word this long may hold one typo of any kind.
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
        """The known word fewest typos from `word` (at most `typos_allowed(word)`, or a swap in a
        four-letter word; same first letter); among equals the one most articles use, then the
        alphabetically first. None when there is none."""
        allowed = typos_allowed(word)
        swap_only = not allowed and len(word) >= ONE_SWAP_FROM
        if not allowed and not swap_only:
            return None
        found = [
            (candidate, typos)
            for candidate, typos, _ in process.extract(
                word, self._by_first_letter.get(word[:1], ()), scorer=OSA.distance, score_cutoff=max(allowed, 1), limit=None
            )
            # A swap is one typo to OSA and two to Levenshtein, who sees two replaced letters.
            if candidate != word and (not swap_only or Levenshtein.distance(word, candidate) == 2)
        ]
        if not found:
            return None
        fewest = min(typos for _, typos in found)
        return min((c for c, typos in found if typos == fewest), key=lambda c: (-self._counts.get(c, 0), c))
