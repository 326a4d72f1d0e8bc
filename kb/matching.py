"""Which articles answer a text query well enough to count, and which of its words no article has.

A question shares common words with many articles ("can microneedling treat ice pick scars"
shares "microneedling" with all of them). The total, the facet counts and the pages count only
the articles that hold enough of the query's meaning: the meaningful words (not stop or
question words) that some article the asker may see contains, each weighted by its rarity
(BM25's idf), as Elasticsearch's `minimum_should_match` counts words but weighted the way
its `common` terms query weighs rare words above common ones. An article counts when the words
it has carry at least COVERAGE_REQUIRED of the query's weight: "ice pick" alone counts, "treat"
and "microneedling" alone do not. Words no visible article has are left out of the weight and
reported (`unmatched`), so "eczema laser" finds the laser articles and says that none
mentions eczema. A query of question words alone ("what is it") matches any article with any
of them. The share was chosen on the NFCorpus dev split and the clinic's questions
(docs/benchmarks.md).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from kb.scoring import Clause, Postings, Scores

#: The share of the query's idf weight an article's words must carry for it to count.
COVERAGE_REQUIRED = 0.2


def answering(postings: Postings, found: list[Clause], missing: int = 0) -> np.ndarray:
    """The documents whose words among `found` (clauses some visible document matches) carry
    at least COVERAGE_REQUIRED of the query's summed idf, where each of the `missing` words (no
    visible document has them) weighs as a word in no document: "bleeding after treatment"
    is not answered by articles that only say "treatment"."""
    coverage = np.zeros(postings.doc_count)
    total = missing * postings.idf(0)
    for clause in found:
        docs = postings.word(clause.terms).docs
        weight = postings.idf(len(docs))
        coverage[docs] += weight
        total += weight
    # A hair under the share, so that a document holding exactly the required words is never
    # lost to rounding in the sum.
    return coverage >= COVERAGE_REQUIRED * total * (1 - 1e-9)


class TextMatch(NamedTuple):
    """A text query as run: its clauses and scores, the articles that count as answers (a mask
    within the asker's audience), the words no visible article has, the correction run instead
    of the text (or None), and every term in order (what query rules match against)."""

    clauses: list[Clause] | None
    scored: Scores
    matches: np.ndarray
    unmatched: list[str]
    corrected: str | None
    terms: list[str]
