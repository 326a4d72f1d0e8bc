"""Which articles answer a text query well enough to count, and which of its words no article has.

A question shares common words with many articles ("can microneedling treat ice pick scars"
shares "microneedling" with all of them). The total, the facet counts and the pages count only
the articles that hold enough of the query's meaning: the meaningful words (not stop or
question words) that some article the asker may see contains, each weighted by its rarity
(BM25's idf, raised to WEIGHT_EXPONENT), as Elasticsearch's `minimum_should_match` counts
words but weighted the way its `common` terms query weighs rare words above common ones. An
article counts when the words it has carry at least COVERAGE_REQUIRED of the query's weight:
"ice pick" alone counts, "treat" and "microneedling" alone do not. The exponent damps the
rarest words: with idf itself, a word one article happens to use ("veggies") outweighed the
subject every other article shares ("cancer"), and "veggies vs. cancer" counted one answer.
Words no visible article has are reported (`unmatched`) and weigh as the rarest words, so
"eczema laser" finds the laser articles and says that none mentions eczema, while "bleeding
after treatment" is not answered by articles that only say "treatment". A query of question
words alone ("what is it") matches any article with any of them. The share and the exponent
were chosen on the NFCorpus dev split and the clinic's questions (docs/benchmarks.md).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from kb.scoring import Clause, Postings, Scores

#: The share of the query's weight an article's words must carry for it to count.
COVERAGE_REQUIRED = 0.2
#: Each word weighs its idf to this power: rare words still weigh most, but not all.
WEIGHT_EXPONENT = 0.75


def answering(postings: Postings, found: list[Clause], missing: int = 0) -> np.ndarray:
    """The documents whose words among `found` (clauses some visible document matches) carry
    at least COVERAGE_REQUIRED of the query's summed weight, where each of the `missing` words
    (no visible document has them) weighs as a word in no document."""
    coverage = np.zeros(postings.doc_count)
    total = missing * _weight(postings, 0)
    for clause in found:
        docs = postings.word(clause.terms).docs
        weight = _weight(postings, len(docs))
        coverage[docs] += weight
        total += weight
    # A hair under the share, so that a document holding exactly the required words is never
    # lost to rounding in the sum.
    return coverage >= COVERAGE_REQUIRED * total * (1 - 1e-9)


def _weight(postings: Postings, containing: int) -> float:
    return postings.idf(containing) ** WEIGHT_EXPONENT


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
