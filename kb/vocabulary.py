"""Per reader (public, staff, editors), the words its articles use: spelling corrections and search-box completions.

Staff-only articles' words are counted for staff only, so a public correction or completion
never reveals them.
"""
from __future__ import annotations

import re
from collections import Counter
from typing import Iterable, Mapping

import numpy as np
from whoosh.support.charset import accent_map

from kb.analysis import SPELL_PATTERN
from kb.spelling import Speller
from kb.whoosh_internals import ColumnBytes
from kb.wordsets import word_counts

def part_word_counts(reader, part: np.ndarray) -> Counter:
    """Every unstemmed word of a set of documents (public, staff-only or drafts), with how many use it."""
    words = ColumnBytes(reader.column_reader("words"))
    try:
        return word_counts(words[int(docnum)] for docnum in np.flatnonzero(part))
    finally:
        words.close()


def reader_word_counts(parts: list[Counter]) -> dict[str, int]:
    """A reader's words: those of every part it sees (the public sees public articles; staff,
    staff-only ones too; editors, drafts too). Each part is counted once for all readers."""
    if len(parts) == 1:
        return dict(parts[0])
    return dict(sum(parts, Counter()))


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
            # As the articles' words were read: lowercase, accents folded ("sérum" is "serum").
            folded = word.casefold().translate(accent_map)
            if folded in self._known or folded in self._also_known or folded in self._english:
                return word
            nearest = self._speller.nearest(folded)
            if nearest is None:
                return word
            changed = True
            return nearest

        corrected = re.sub(SPELL_PATTERN, fix, text)
        return corrected if changed else None

