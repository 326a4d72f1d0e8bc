"""Sets of documents as packed bits, for counting facet values: 64 documents per machine word.

A facet's counts are, for each of its values, how many matching documents have it. On
boolean arrays that is a (values x documents) AND and count per search; on packed bits the
same work is 64 times smaller and the count is one popcount per word.
"""
from __future__ import annotations

import numpy as np


def packed(mask: np.ndarray) -> np.ndarray:
    """Boolean masks over documents (last axis) as uint64 words of bits, zero-padded."""
    size = (mask.shape[-1] + 7) // 8
    words = np.zeros(mask.shape[:-1] + ((size + 7) // 8,), dtype=np.uint64)
    words.view(np.uint8)[..., :size] = np.packbits(mask, axis=-1)
    return words


def counts(rows: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """For each packed row, how many of its documents are in the boolean `mask`."""
    return np.bitwise_count(rows & packed(mask)).sum(axis=-1, dtype=np.int64)
