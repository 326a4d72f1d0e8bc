"""Per reader (public, staff, editors), the words its articles use: spelling corrections and search-box completions.

Staff-only articles' words are counted for staff only, so a public correction or completion
never reveals them.
"""
from __future__ import annotations

import re
from collections import Counter
from typing import Iterable, Mapping

import numpy as np

from kb.analysis import SPELL_PATTERN
from kb.spelling import Speller
from kb.whoosh_internals import ColumnBytes
from kb.wordsets import word_counts

#: Misspellings are only corrected in words this long: 'cst' has too many plausible neighbours.
CORRECT_MIN_LENGTH = 4


def reader_word_counts(reader, parts: dict[str, np.ndarray], readers: dict[str, tuple[str, ...]]) -> dict[str, dict[str, int]]:
    """For each reader, every unstemmed word of the articles it sees, with how many use it.
    `parts` are disjoint sets of documents (public, staff-only, drafts); `readers` names the
    parts each reader sees. Each part is counted once."""
    words = ColumnBytes(reader.column_reader("words"))
    try:
        counted = {name: word_counts(words[int(docnum)] for docnum in np.flatnonzero(mask)) for name, mask in parts.items()}
    finally:
        words.close()
    return {name: dict(sum((counted[part] for part in seen), Counter())) for name, seen in readers.items()}


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

