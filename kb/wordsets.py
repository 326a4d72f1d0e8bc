"""Each article's distinct unstemmed words, kept in a column and counted when an engine opens.

Spelling correction and completions need every word an audience's articles use, with how
many articles use it. As postings (one per article and word) they would be a large share of
everything a build writes, for a count that is only needed once per index version. Here an
article's words are one column value; an engine counts them once
per index version over the articles each audience may see, deleted documents left out.
"""
from __future__ import annotations

from collections import Counter
from typing import Iterable

from whoosh.columns import VarBytesColumn
from whoosh.fields import COLUMN


class WordSet(COLUMN):
    """Not searchable: the distinct tokens `analyzer` finds in the value, sorted, as a column value."""

    def __init__(self, analyzer):
        super().__init__(VarBytesColumn())
        self.analyzer = analyzer

    def to_column_value(self, value: str) -> bytes:
        # Runs in the writer's process, so a parallel build analyzes in its worker processes.
        # One word a line: the spelling analyzer's tokens are letters only.
        words = {token.text for token in self.analyzer(value, mode="index")}
        return "\n".join(sorted(words)).encode("utf-8")

    def from_column_value(self, value: bytes) -> bytes:
        return value


def word_counts(values: Iterable[bytes]) -> Counter:
    """How many of the values (documents' WordSet values) hold each word."""
    counts: Counter = Counter()
    for value in values:
        if value:
            counts.update(value.decode("utf-8").split("\n"))
    return counts
