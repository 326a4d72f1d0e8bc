"""Related forms: an uncommon query word no article has, found through the words that share its root.

Snowball stemming joins a word's inflections ("scars", "scarring" -> "scar") but leaves some
derivations apart: "amnesia" stays "amnesia" while "amnesic" is "amnes", and "apigen" is not
"apigenin". When no article the asker may see has a query word's stem, the indexed stems that
extend it, or that it extends, by at most EXTRA_LETTERS stand in for it, as long as the shorter
of the two keeps ROOT_LETTERS letters: "amnesia" finds the articles that say "amnesic".

Neither side may be a common English word or the stem of one (the dictionary's most frequent,
kb/dictionary.py): among common words a shared root is mostly chance ("place" and "placebo",
"should" and "shoulder", "press" and "pressure", "treat" and "treaty"), and a patient asking
about their shoulder must hear that no article mentions it. Rare and technical words are where
Snowball leaves real relatives apart. The bounds keep apart stems that only begin alike
(neither extends the other) and a short stem from a much longer one (more than EXTRA_LETTERS
letters more).

Only words that would otherwise be unmatched are widened, so a word the articles use always
means itself, and nothing changes for a query every word of which some article has.
"""
from __future__ import annotations

import bisect
from typing import Iterable

#: The shorter stem of a related pair has at least this many letters.
ROOT_LETTERS = 5
#: The longer stem has at most this many letters more.
EXTRA_LETTERS = 2


class RelatedForms:
    """The stems of one index version's searched fields, sorted, less common words and their stems."""

    def __init__(self, stems: Iterable[str], common: frozenset[str]):
        self._common = common
        self._stems = sorted({stem for stem in stems if stem.isalpha()} - common)

    def of(self, stem: str) -> list[str]:
        """The indexed stems related to `stem` (itself excluded): the shorter ones, then the
        longer ones alphabetically. None for a common word's stem."""
        if len(stem) < ROOT_LETTERS or not stem.isalpha() or stem in self._common:
            return []
        shorter = [stem[:length] for length in range(max(ROOT_LETTERS, len(stem) - EXTRA_LETTERS), len(stem)) if self._has(stem[:length])]
        longer = []
        at = bisect.bisect_right(self._stems, stem)
        while at < len(self._stems) and self._stems[at].startswith(stem):
            if len(self._stems[at]) - len(stem) <= EXTRA_LETTERS:
                longer.append(self._stems[at])
            at += 1
        return shorter + longer

    def _has(self, stem: str) -> bool:
        at = bisect.bisect_left(self._stems, stem)
        return at < len(self._stems) and self._stems[at] == stem
