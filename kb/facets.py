"""Facet values' document sets for one index version, and the counts a search shows.

Each value's documents are a row of booleans over document numbers; every facet's rows are
also kept packed as bits (64 documents per machine word) in one matrix, so counting all the
values of all the facets against a set of matches is one AND and one popcount per word.
"""
from __future__ import annotations

from typing import Callable, Mapping, Sequence

import numpy as np

from kb.taxonomy import FACET_KEYS, Taxonomy


def packed(mask: np.ndarray) -> np.ndarray:
    """Boolean masks over documents (last axis) as uint64 words of bits, zero-padded."""
    size = (mask.shape[-1] + 7) // 8
    words = np.zeros(mask.shape[:-1] + ((size + 7) // 8,), dtype=np.uint64)
    words.view(np.uint8)[..., :size] = np.packbits(mask, axis=-1)
    return words


def counts(rows: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """For each packed row, how many of its documents are in the boolean `mask`."""
    return np.bitwise_count(rows & packed(mask)).sum(axis=-1, dtype=np.int64)


def intersect(docs: np.ndarray, others) -> np.ndarray:
    for other in others:
        docs = docs & other
    return docs


class FacetSets:
    """Every facet value's documents, in the taxonomy's order. `documents_with(key, value)` gives
    one value's boolean row over the index's `doc_count` documents."""

    def __init__(self, taxonomy: Taxonomy, doc_count: int, documents_with: Callable[[str, str], np.ndarray]):
        self._values = {key: [v.value for v in taxonomy.facet(key).values] for key in FACET_KEYS}
        self._labels = {key: [(v.value, v.label) for v in taxonomy.facet(key).values] for key in FACET_KEYS}
        self._rows = {
            key: np.array([documents_with(key, value) for value in values], dtype=bool).reshape(len(values), doc_count)
            for key, values in self._values.items()
        }
        self._bits = packed(np.concatenate([self._rows[key] for key in FACET_KEYS]))
        self._slices = {}
        start = 0
        for key in FACET_KEYS:
            self._slices[key] = slice(start, start + len(self._values[key]))
            start += len(self._values[key])

    def documents(self, key: str, value: str) -> np.ndarray:
        return self._rows[key][self._values[key].index(value)]

    def selection(self, key: str, values: Sequence[str]) -> np.ndarray:
        """The documents with any of the values: values within one facet are OR-ed."""
        rows = [self._values[key].index(value) for value in values]
        return self._rows[key][rows].any(axis=0)

    def counts(self, matches: np.ndarray, selections: Mapping[str, np.ndarray], chosen: Mapping[str, Sequence[str]]) -> dict[str, list[dict]]:
        """Disjunctive counts: a facet's counts apply every selection but its own, so ticking
        one value never makes its siblings drop to zero."""
        result = {}
        by_base: dict[tuple[str, ...], list[int]] = {}  # the selections applied -> counts of every value
        for key in FACET_KEYS:
            others = tuple(other for other in selections if other != key)
            if others not in by_base:
                base = intersect(matches, (selections[other] for other in others))
                by_base[others] = counts(self._bits, base).tolist()
            selected = chosen.get(key, ())
            result[key] = [
                {"value": value, "label": label, "count": count, "selected": value in selected}
                for (value, label), count in zip(self._labels[key], by_base[others][self._slices[key]])
            ]
        return result

    def totals(self, allowed: np.ndarray) -> dict[str, list[dict]]:
        """Every value of every facet with how many of the `allowed` documents have it."""
        all_counts = counts(self._bits, allowed).tolist()
        return {
            key: [
                {"value": value, "label": label, "count": count}
                for (value, label), count in zip(self._labels[key], all_counts[self._slices[key]])
            ]
            for key in FACET_KEYS
        }
