"""BM25F scoring with NumPy over postings read from the Whoosh index once per process.

Whoosh's matchers score one posting at a time in Python: a ten-word question over five
fields walks fifty matchers document by document, and counting every match for the total
and the facets walks them again. Here a query word's postings in each of its fields are read
from the index once, combined into its score in every document that has it (two arrays:
document numbers and scores), and kept for the life of the index version; a query is then
one vector addition per word. Common words (in a quarter of the documents or more) are also
kept dense, as scores over every document, within a fixed room: adding a dense vector is
cheaper than scattering thousands of postings into one.

Two models (the Ranking's `model`):

- "bm25f", BM25F as Robertson and Zaragoza define it (Lucene's CombinedFieldQuery and
  Elasticsearch's combined_fields work the same way): a word's length-normalised frequency
  in each field, times the field's weight, is summed into one frequency that saturates once,
  with one idf from the documents that have the word in any field. A word repeated in the
  title, summary and body counts as one well-attested word, not three.
- "per-field", what Whoosh's BM25F scorer computes: each field's BM25 score, weighted, summed.
  tests/test_scoring.py checks these scores against Whoosh's own on every document.

Field lengths are Whoosh's stored (byte-rounded) ones. Statistics (document count, average
field lengths, word rarity) are those of a *population*: the whole index, where the average
field length is Whoosh's own, or one audience's documents, where it is the mean of their stored
lengths (Whoosh keeps exact totals only for the whole index). Public answers are computed over
the public documents alone, so that no score, order or count depends on what staff-only
articles say.
"""
from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import NamedTuple, Sequence

import numpy as np
from kb.ranking import Ranking
from kb.whoosh_internals import read_postings


class TermPostings(NamedTuple):
    # Document numbers, ascending, as NumPy's index type (intp): scattering through an int32 array
    # converts it first, which made adding a rare word's scores cost two to four times as much.
    docs: np.ndarray
    # float64 per document: "per-field", the term's BM25 score in the field; "bm25f", its
    # frequency divided by the field's length normalisation, (1 - b) + b * length / average.
    values: np.ndarray


class DenseWord(NamedTuple):
    """A common word's postings over every document: adding them to the scores is one vector
    addition, cheaper than scattering thousands of postings."""

    values: np.ndarray  # float64 per document, 0 where the word is absent
    present: np.ndarray  # uint8 per document, 1 where it is present


#: A word in at least this share of the documents is also kept dense (`Postings.dense`): its
#: dense form is then at most three times its postings' size.
DENSE_SHARE = 0.25
#: What dense forms may take in all, per index version; words past it are scattered.
DENSE_BYTES = 48 * 2**20


@dataclass(frozen=True)
class Clause:
    """One word of a query: the (field, term, field weight) triples any of which matches it, and the word's own weight."""

    terms: tuple[tuple[str, str, float], ...]
    weight: float = 1.0


class Postings:
    """Per-field statistics and a cache of term postings for one open Whoosh reader, over a
    population of its documents (a boolean mask; None: every document)."""

    def __init__(self, reader, ranking: Ranking, population: np.ndarray | None = None, lengths: dict[str, np.ndarray] | None = None):
        self.reader = reader
        self.ranking = ranking
        #: The length of every per-document array (document numbers run over the whole index).
        self.doc_count = reader.doc_count_all()
        self.population = population
        #: How many documents the statistics are over.
        self.size = self.doc_count if population is None else int(np.count_nonzero(population))
        self._leaves = list(reader.leaf_readers())
        fields = [name for name, _ in ranking.field_weights]
        # Another population's lengths of the same reader may be shared: they are per document.
        self._lengths = lengths or {f: self._field_lengths(f) for f in fields}
        if population is None:
            self._avg_length = {f: (reader.field_length(f) / (self.doc_count or 1)) or 1.0 for f in fields}
        else:
            # fsum: the same documents give the same average to the last bit, in any order.
            self._avg_length = {f: (math.fsum(self._lengths[f][population]) / (self.size or 1)) or 1.0 for f in fields}
        # A query word's own postings over all its fields (see `word`), for words some document has;
        # a (field, term)'s own postings are only read to make them, and not kept.
        self._words: dict[tuple[tuple[str, str, float], ...], TermPostings] = {}
        self._dense: dict[tuple[tuple[str, str, float], ...], DenseWord | None] = {}
        self._dense_bytes = 0
        self._lock = threading.Lock()

    def _field_lengths(self, fieldname: str) -> np.ndarray:
        lengths = np.ones(self.doc_count, dtype=np.float64)
        for leaf, base in self._leaves:
            for docnum in range(leaf.doc_count_all()):
                # Whoosh's stored (byte-rounded) length, and 1 where a segment has none, as its
                # scorer does; an empty field reads as None (0), counted as 0 in a population's mean.
                lengths[base + docnum] = leaf.doc_field_length(docnum, fieldname, 1) or 0
        return lengths

    def lengths(self) -> dict[str, np.ndarray]:
        """Every document's stored length per field (to share with another population's Postings)."""
        return self._lengths

    def idf(self, containing: int) -> float:
        """The rarity of a word found in `containing` of the population's documents."""
        if self.ranking.idf == "probabilistic":
            return math.log(1 + (self.size - containing + 0.5) / (containing + 0.5))
        return math.log(self.size / (containing + 1)) + 1

    def saturate(self, frequencies: np.ndarray) -> np.ndarray:
        """BM25's saturation of (length-normalised) frequencies: 0 at 0, tending to k1 + 1."""
        k1 = self.ranking.k1
        return frequencies * (k1 + 1) / (frequencies + k1)

    def term(self, fieldname: str, text: str) -> TermPostings | None:
        """The term's documents and values (see TermPostings), read from the index; None when no document has it."""
        if (fieldname, text) not in self.reader:
            return None
        docs, frequencies = self.read(fieldname, text)
        if not docs.size:
            return None
        b = self.ranking.b
        normalised = frequencies / ((1 - b) + b * self._lengths[fieldname][docs] / self._avg_length[fieldname])
        if self.ranking.model == "per-field":
            containing = self.reader.doc_frequency(fieldname, text) if self.population is None else docs.size
            normalised = self.idf(containing) * self.saturate(normalised)
        return TermPostings(docs, normalised)

    def read(self, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The term's (document, frequency) postings in the population, as arrays."""
        docs, frequencies = self._read(fieldname, text)
        if self.population is not None and docs.size:
            inside = self.population[docs]
            docs, frequencies = docs[inside], frequencies[inside]
        return docs, frequencies

    def _read(self, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        docs: list[np.ndarray] = []
        frequencies: list[np.ndarray] = []
        btext = text.encode("utf-8")
        for leaf, base in self._leaves:
            if (fieldname, btext) not in leaf:
                continue
            ids, weights = read_postings(leaf.postings(fieldname, btext))
            docs.append(np.asarray(ids, dtype=np.int32) + base)
            frequencies.append(np.asarray(weights, dtype=np.float64))
        if not docs:
            return np.empty(0, np.int32), np.empty(0, np.float64)
        return np.concatenate(docs), np.concatenate(frequencies)

    def cached_terms(self) -> int:
        return len(self._words)

    def word(self, terms: tuple[tuple[str, str, float], ...]) -> TermPostings:
        """A query word's score in the documents that have it in any of its (field, term, field
        weight) triples, before the word's own weight: worked out once per index version and kept
        (only for words some document has, so what is kept is bounded by the index's vocabulary)."""
        found = self._words.get(terms)
        if found is not None:
            return found
        found = self._combine(terms)
        if found.docs.size:
            with self._lock:
                self._words.setdefault(terms, found)
        return found

    def dense(self, terms: tuple[tuple[str, str, float], ...], found: TermPostings) -> DenseWord | None:
        """The word's postings (`found`) over every document, if it is common: kept while they fit
        in DENSE_BYTES, first come first kept (searches repeat their words, most often the
        commonest); None for rarer words and once the room is taken."""
        dense = self._dense.get(terms, False)
        if dense is not False:
            return dense
        dense = None
        size = self.doc_count * (np.dtype(np.float64).itemsize + 1)
        if found.docs.size >= DENSE_SHARE * self.size and self._dense_bytes + size <= DENSE_BYTES:
            values = np.zeros(self.doc_count)
            values[found.docs] = found.values
            present = np.zeros(self.doc_count, dtype=np.uint8)
            present[found.docs] = 1
            dense = DenseWord(values, present)
        with self._lock:
            if terms not in self._dense:
                self._dense[terms] = dense
                self._dense_bytes += size if dense is not None else 0
        return self._dense[terms]

    def _combine(self, terms: tuple[tuple[str, str, float], ...]) -> TermPostings:
        combined = np.zeros(self.doc_count, dtype=np.float64)
        hit = np.zeros(self.doc_count, dtype=bool)
        for fieldname, text, field_weight in terms:
            found = self.term(fieldname, text)
            if found is not None:
                combined[found.docs] += field_weight * found.values
                hit[found.docs] = True
        docs = np.flatnonzero(hit)
        values = combined[docs]
        if self.ranking.model == "bm25f" and docs.size:
            values = self.idf(docs.size) * self.saturate(values)
        return TermPostings(docs, values)


class Scores(NamedTuple):
    scores: np.ndarray  # float64 per document
    matched: np.ndarray  # bool per document: at least one word of the query


def score(postings: Postings, clauses: Sequence[Clause], coordination: float) -> Scores:
    """The sum of the query's word scores, scaled by the share of words matched.

    factor = 1 - coordination + coordination * words matched / words, as kb.search documents.
    Words are added in the query's order, so a document's score is the same sum, to the last
    bit, whichever form (dense or scattered) each word takes.
    """
    n = postings.doc_count
    scores = np.zeros(n)
    # How many of the query's words each document has (a query has at most a few dozen).
    words = np.zeros(n, dtype=np.uint8 if len(clauses) < 256 else np.uint16)
    for clause in clauses:
        found = postings.word(clause.terms)
        if not found.docs.size:
            continue
        dense = postings.dense(clause.terms, found)
        if dense is not None:
            scores += dense.values if clause.weight == 1.0 else clause.weight * dense.values
            words += dense.present
        else:
            # A word's documents are distinct, so the scattered addition adds each once.
            scores[found.docs] += found.values if clause.weight == 1.0 else clause.weight * found.values
            words[found.docs] += 1
    matched = words > 0
    if len(clauses) > 1 and coordination:
        # In place, in the documented order ((1 - c) + c * (matched / words)): a lookup in a
        # table of factors first widens every count to a 64-bit index, twice the memory.
        factors = words / len(clauses)
        factors *= coordination
        factors += 1 - coordination
        scores *= factors
    return Scores(scores, matched)


def add_words(postings: Postings, scores: np.ndarray, clauses: Sequence[Clause], where: np.ndarray) -> None:
    """Add the words' scores to the documents in the `where` mask only."""
    extra = np.zeros_like(scores)
    for clause in clauses:
        found = postings.word(clause.terms)
        extra[found.docs] += clause.weight * found.values
    scores += np.where(where, extra, 0.0)


def top(scores: np.ndarray, where: np.ndarray, count: int, tiebreak: np.ndarray, total: int | None = None) -> np.ndarray:
    """The `count` best documents of the `where` mask by score, then by `tiebreak` (a rank per
    document), without sorting all of them. `total`, where the caller has counted the mask, saves
    counting it again."""
    if total is None:
        total = int(np.count_nonzero(where))
    if total <= count:
        found = np.flatnonzero(where)
    else:
        if total * 4 < len(where):  # few matches: select among them
            candidates = np.flatnonzero(where)
        else:
            # Most documents match: the count-th best of every SAMPLE_STEP-th match is at most
            # the count-th best of all, so the matches scoring under it are left out before any
            # score is gathered.
            sample = scores[::SAMPLE_STEP][where[::SAMPLE_STEP]]
            if len(sample) >= count:
                floor = np.partition(sample, len(sample) - count)[len(sample) - count]
                candidates = np.flatnonzero((scores >= floor) & where)
            else:
                candidates = np.flatnonzero(where)
        values = scores[candidates]
        # Keep everything tied with the count-th best so ties still break by the tiebreak rank.
        found = candidates[values >= _kth_largest(values, count)]
    order = np.lexsort((tiebreak[found], -scores[found]))
    return found[order[:count]]


#: `_kth_largest` first looks at every this-many-th value.
SAMPLE_STEP = 16


def _kth_largest(values: np.ndarray, k: int) -> float:
    """The k-th largest of `values` (1 <= k <= len(values)).

    The k-th largest of a sample is at most the k-th largest of all, so the values below it
    can be dropped before the exact selection, which is slow over many equal scores (zeros)."""
    sample = values[::SAMPLE_STEP]
    if len(sample) > k:
        floor = np.partition(sample, len(sample) - k)[len(sample) - k]
        values = values[values >= floor]
    return float(np.partition(values, len(values) - k)[len(values) - k])
