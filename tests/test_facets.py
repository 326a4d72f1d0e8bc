"""Counting documents on packed bits gives what counting booleans gives, whatever the number of documents."""
import numpy as np
import pytest

from kb.facets import counts, packed


@pytest.mark.parametrize("documents", [1, 7, 8, 63, 64, 65, 1000, 10_001])
def test_counts_on_packed_rows_equal_counts_on_booleans(documents):
    rng = np.random.default_rng(documents)
    for density in (0.0, 0.01, 0.5, 1.0):
        rows = rng.random((5, documents)) < density
        mask = rng.random(documents) < 0.5
        assert counts(packed(rows), mask).tolist() == np.count_nonzero(rows & mask, axis=1).tolist()


def test_packing_pads_to_whole_words():
    assert packed(np.ones(65, dtype=bool)).shape == (2,)
    assert packed(np.ones((3, 64), dtype=bool)).shape == (3, 1)
    assert counts(packed(np.ones((1, 65), dtype=bool)), np.ones(65, dtype=bool)).tolist() == [65]
