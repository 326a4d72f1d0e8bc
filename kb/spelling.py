"""Spelling: the known word nearest to a misspelt one, by edits first, then by how common it is."""
from __future__ import annotations

from typing import Iterable, Mapping

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

#: Corrections are at most this many insertions, deletions or substitutions away.
MAX_EDITS = 2


class Speller:
    """The words of one index version, grouped by first letter: misspellings rarely change it, and it
    leaves few words to compare. Edit distances are computed by RapidFuzz in C rather than by
    Whoosh's Levenshtein automata, which are built in Python for every word."""

    def __init__(self, counts: Mapping[str, int], also_known: Iterable[str] = ()):
        self._counts = counts
        self._by_first_letter: dict[str, list[str]] = {}
        for word in sorted({*counts, *also_known}):
            self._by_first_letter.setdefault(word[:1], []).append(word)

    def nearest(self, word: str) -> str | None:
        """The known word fewest edits from `word` (at most MAX_EDITS, same first letter); among
        equals the one most articles use, then the alphabetically first. None when there is none."""
        found = [
            (candidate, edits)
            for candidate, edits, _ in process.extract(
                word, self._by_first_letter.get(word[:1], ()), scorer=Levenshtein.distance, score_cutoff=MAX_EDITS, limit=None
            )
            if candidate != word
        ]
        if not found:
            return None
        fewest = min(edits for _, edits in found)
        return min((c for c, edits in found if edits == fewest), key=lambda c: (-self._counts.get(c, 0), c))
