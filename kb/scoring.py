"""BM25F scoring with NumPy over postings read from the Whoosh index once per process.

Whoosh's matchers score one posting at a time in Python: a ten-word question over five
fields walks fifty matchers document by document, and counting every match for the total
and the facets walks them again. Here each (field, word) is read from the index once,
turned into two arrays (document numbers and that word's BM25 contribution to each), and
kept for the life of the index version; a query is then a handful of vector additions.

The numbers are Whoosh's own: field lengths as Whoosh stores them, Whoosh's average field
length, BM25 with the Ranking's k1, b and idf (tests/test_scoring.py checks the scores
against Whoosh's BM25F scorer on every document).
"""
from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import NamedTuple, Sequence

import numpy as np
from whoosh.codec.whoosh3 import W3LeafMatcher

from kb.ranking import Ranking


class TermPostings(NamedTuple):
    docs: np.ndarray  # document numbers, ascending, int32
    scores: np.ndarray  # the word's BM25 contribution in each of those documents, float64


@dataclass(frozen=True)
class Clause:
    """One word of a query: the (field, term, weight) triples any of which matches it."""

    terms: tuple[tuple[str, str, float], ...]


class Postings:
    """Per-field statistics and a cache of term postings for one open Whoosh reader."""

    def __init__(self, reader, ranking: Ranking):
        self.reader = reader
        self.ranking = ranking
        self.doc_count = reader.doc_count_all()
        self._leaves = list(reader.leaf_readers())
        fields = [name for name, _ in ranking.field_weights]
        self._avg_length = {f: (reader.field_length(f) / (self.doc_count or 1)) or 1.0 for f in fields}
        self._lengths = {f: self._field_lengths(f) for f in fields}
        self._cache: dict[tuple[str, str], TermPostings] = {}
        self._lock = threading.Lock()

    def _field_lengths(self, fieldname: str) -> np.ndarray:
        lengths = np.ones(self.doc_count, dtype=np.float64)
        for leaf, base in self._leaves:
            for docnum in range(leaf.doc_count_all()):
                # Whoosh's stored (byte-rounded) length, and 1 where it has none, as its scorer does.
                lengths[base + docnum] = leaf.doc_field_length(docnum, fieldname, 1)
        return lengths

    def idf(self, fieldname: str, text: str) -> float:
        containing = self.reader.doc_frequency(fieldname, text)
        if self.ranking.idf == "probabilistic":
            return math.log(1 + (self.doc_count - containing + 0.5) / (containing + 0.5))
        return math.log(self.doc_count / (containing + 1)) + 1

    def term(self, fieldname: str, text: str) -> TermPostings | None:
        """The term's documents and BM25 contributions; None when no document has it (never cached)."""
        key = (fieldname, text)
        found = self._cache.get(key)
        if found is not None:
            return found
        if key not in self.reader:
            return None
        docs, frequencies = self._read(fieldname, text)
        k1, b = self.ranking.k1, self.ranking.b
        norm = k1 * ((1 - b) + b * self._lengths[fieldname][docs] / self._avg_length[fieldname])
        scores = self.idf(fieldname, text) * (frequencies * (k1 + 1)) / (frequencies + norm)
        found = TermPostings(docs, scores)
        with self._lock:
            self._cache.setdefault(key, found)
        return found

    def _read(self, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        docs: list[np.ndarray] = []
        frequencies: list[np.ndarray] = []
        btext = text.encode("utf-8")
        for leaf, base in self._leaves:
            if (fieldname, btext) not in leaf:
                continue
            ids, weights = _read_leaf(leaf.postings(fieldname, btext))
            docs.append(np.asarray(ids, dtype=np.int32) + base)
            frequencies.append(np.asarray(weights, dtype=np.float64))
        if not docs:
            return np.empty(0, np.int32), np.empty(0, np.float64)
        return np.concatenate(docs), np.concatenate(frequencies)

    def cached_terms(self) -> int:
        return len(self._cache)


def _read_leaf(matcher) -> tuple[Sequence[int], Sequence[float]]:
    """All (document, frequency) pairs of one segment's postings.

    Whoosh's own posting blocks (128 postings, already decoded into arrays) are taken a block
    at a time; any other matcher, such as the filter that hides deleted documents, one posting
    at a time.
    """
    ids: list[int] = []
    weights: list[float] = []
    if type(matcher) is W3LeafMatcher:
        while matcher.is_active():
            matcher._read_ids()
            matcher._read_weights()
            ids.extend(matcher._ids)
            weights.extend(matcher._weights)
            matcher._next_block()
        return ids, weights
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        matcher.next()
    return ids, weights


class Scores(NamedTuple):
    scores: np.ndarray  # float64 per document
    matched: np.ndarray  # bool per document: at least one word of the query


def score(postings: Postings, clauses: Sequence[Clause], coordination: float) -> Scores:
    """Sum of every matching (field, term) contribution times its weight, scaled by the share of words matched.

    factor = 1 - coordination + coordination * words matched / words, as kb.search documents.
    """
    n = postings.doc_count
    scores = np.zeros(n, dtype=np.float64)
    words = np.zeros(n, dtype=np.int16)
    for clause in clauses:
        hit = np.zeros(n, dtype=bool)
        for fieldname, text, weight in clause.terms:
            found = postings.term(fieldname, text)
            if found is None:
                continue
            scores[found.docs] += weight * found.scores
            hit[found.docs] = True
        words += hit
    matched = words > 0
    if len(clauses) > 1 and coordination:
        scores *= (1 - coordination) + coordination * (words / len(clauses))
    return Scores(scores, matched)


def add_terms(postings: Postings, scores: np.ndarray, terms: Sequence[tuple[str, str, float]], where: np.ndarray) -> None:
    """Add weighted term contributions to the documents in the `where` mask only (feedback reorders, never matches)."""
    extra = np.zeros_like(scores)
    for fieldname, text, weight in terms:
        found = postings.term(fieldname, text)
        if found is not None:
            extra[found.docs] += weight * found.scores
    scores += np.where(where, extra, 0.0)


def top(scores: np.ndarray, candidates: np.ndarray, count: int) -> np.ndarray:
    """The `count` best candidates by score, then by document number, without sorting all of them."""
    values = scores[candidates]
    if count < len(candidates):
        # Keep everything tied with the count-th best so ties still break by document number.
        threshold = np.partition(values, len(values) - count)[len(values) - count]
        keep = values >= threshold
        candidates, values = candidates[keep], values[keep]
    order = np.lexsort((candidates, -values))
    return candidates[order[:count]]
