"""The telling words of an article, over one population's statistics: what similar articles share.

Whoosh's more-like-this picks an article's key words with the Bo1 model (divergence from
randomness) against the whole index's word frequencies; here the frequencies are those of a
population (kb/scoring.py), so that the public's similar articles never depend on what
staff-only articles say. Over the whole index the words and weights are Whoosh's own
(tests/test_search.py checks them against `key_terms_from_text`).
"""
from __future__ import annotations

from collections import defaultdict

from whoosh.classify import Bo1Model

from kb.scoring import Postings


def key_terms(postings: Postings, fieldname: str, text: str, number: int) -> list[tuple[str, float]]:
    """The `number` words of `text` most telling against the population's use of them in
    `fieldname`, as (word, weight: 1 for the best), best first, ties by word; words the
    population lacks are left out."""
    field = postings.reader.schema[fieldname]
    in_text: dict[str, float] = defaultdict(float)
    for btext, _, weight, _ in field.index(text):
        in_text[field.from_bytes(btext)] += weight
    total = sum(in_text.values())
    model = Bo1Model(postings.size, 0)  # Bo1 reads the document count only
    scored = []
    for word, weight in in_text.items():
        _, frequencies = postings.read(fieldname, word)
        in_population = float(frequencies.sum())
        if in_population:
            scored.append((model.score(weight, in_population, total), word))
    if not scored:
        return []
    # Weighed against the best word, as Whoosh's expander does (with or without its normalizer).
    best = max(score for score, _ in scored)
    ranked = sorted(((score / best, word) for score, word in scored), key=lambda pair: (-pair[0], pair[1]))
    return [(word, weight) for weight, word in ranked[:number]]
