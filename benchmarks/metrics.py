"""Ranking metrics as trec_eval computes them (the definitions behind BEIR's published figures).

nDCG uses linear gains (a grade-2 document counts twice a grade-1 one), log2 discounts, and
the ideal ranking of every judged document; a query whose ranking is empty scores 0.
Cross-checked against ir-measures/pytrec_eval in tests/test_metrics.py.
"""
from __future__ import annotations

import math
from typing import Mapping, Sequence


def dcg(gains: Sequence[float]) -> float:
    return sum(gain / math.log2(rank + 2) for rank, gain in enumerate(gains))


def ndcg_at(k: int, ranking: Sequence[str], judgments: Mapping[str, int]) -> float:
    ideal = dcg(sorted((g for g in judgments.values() if g > 0), reverse=True)[:k])
    if not ideal:
        return 0.0
    return dcg([max(judgments.get(doc, 0), 0) for doc in ranking[:k]]) / ideal


def recall_at(k: int, ranking: Sequence[str], judgments: Mapping[str, int]) -> float:
    relevant = {doc for doc, grade in judgments.items() if grade > 0}
    if not relevant:
        return 0.0
    return len(relevant & set(ranking[:k])) / len(relevant)


def success_at(k: int, ranking: Sequence[str], judgments: Mapping[str, int]) -> float:
    """1 when any relevant document is in the top k (the clinic's "answered in the top 3")."""
    return 1.0 if any(judgments.get(doc, 0) > 0 for doc in ranking[:k]) else 0.0


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0
