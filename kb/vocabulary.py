"""Per audience, the words its articles use: spelling corrections and search-box completions.

Staff-only articles' words are counted for staff only, so a public correction or completion
never reveals them.
"""
from __future__ import annotations

import re
from typing import Iterable, Mapping

import numpy as np

from kb.analysis import SPELL_PATTERN
from kb.spelling import Speller
from kb.whoosh_internals import ColumnBytes
from kb.wordsets import word_counts

#: Misspellings are only corrected in words this long: 'cst' has too many plausible neighbours.
CORRECT_MIN_LENGTH = 4


def audience_word_counts(reader, public: np.ndarray, staff_only: np.ndarray) -> dict[str, dict[str, int]]:
    """For the public and for staff, every unstemmed word their articles use, with how many use it."""
    words = ColumnBytes(reader.column_reader("words"))
    try:
        public_counts = word_counts(words[int(docnum)] for docnum in np.flatnonzero(public))
        staff_counts = word_counts(words[int(docnum)] for docnum in np.flatnonzero(staff_only))
    finally:
        words.close()
    return {"public": dict(public_counts), "staff": dict(staff_counts + public_counts)}


class Corrector:
    """Replaces a word that neither one audience's articles nor English know by the nearest word
    the articles use: "will", "wear" or "scabs" are never rewritten, "microneedlign" is."""

    def __init__(self, counts: Mapping[str, int], also_known: Iterable[str], english: frozenset[str] = frozenset()):
        self._known = counts
        self._also_known = frozenset(also_known)
        self._english = english
        self._speller = Speller(counts, self._also_known)

    def correct(self, text: str) -> str | None:
        """The text with its unknown words replaced, or None when nothing changed."""
        changed = False

        def fix(match: re.Match) -> str:
            nonlocal changed
            word = match.group(0)
            folded = word.casefold()
            if len(folded) < CORRECT_MIN_LENGTH or folded in self._known or folded in self._also_known or folded in self._english:
                return word
            nearest = self._speller.nearest(folded)
            if nearest is None:
                return word
            changed = True
            return nearest

        corrected = re.sub(SPELL_PATTERN, fix, text)
        return corrected if changed else None

