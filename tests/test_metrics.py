"""The benchmarks' metrics agree with trec_eval's, as ir-measures (pytrec_eval) computes them."""
from __future__ import annotations

import ir_measures
import pytest
from ir_measures import R, Success, nDCG

from benchmarks import metrics

JUDGMENTS = {"q1": {"d1": 2, "d2": 1, "d3": 0, "d4": 1}, "q2": {"d7": 1}, "q3": {"d1": 2, "d5": 2, "d6": 1}}
RANKINGS = {
    "q1": ["d2", "d9", "d1", "d3", "d4"],  # graded hits out of order, a judged non-relevant one, an unjudged one
    "q2": ["d8", "d9"],  # nothing relevant found
    "q3": ["d5", "d6", "d1"] + [f"x{i}" for i in range(150)],  # more than 100 results
}
EMPTY = {"q4": {"d1": 1}}  # a query whose ranking is empty scores 0, as in BEIR


def reference(measure, qid: str) -> float:
    qrels = [ir_measures.Qrel(q, d, g) for q, docs in {**JUDGMENTS, **EMPTY}.items() for d, g in docs.items()]
    # Scores fall with rank, so trec_eval's tie-breaking never reorders the ranking.
    run = [ir_measures.ScoredDoc(q, d, 1000.0 - rank) for q, docs in RANKINGS.items() for rank, d in enumerate(docs)]
    values = {m.query_id: m.value for m in ir_measures.iter_calc([measure], qrels, run)}
    return values.get(qid, 0.0)


@pytest.mark.parametrize("qid", sorted(RANKINGS))
def test_ndcg_at_10_matches_trec_eval(qid):
    assert metrics.ndcg_at(10, RANKINGS[qid], JUDGMENTS[qid]) == pytest.approx(reference(nDCG @ 10, qid))


@pytest.mark.parametrize("qid", sorted(RANKINGS))
def test_recall_at_100_matches_trec_eval(qid):
    assert metrics.recall_at(100, RANKINGS[qid], JUDGMENTS[qid]) == pytest.approx(reference(R @ 100, qid))


@pytest.mark.parametrize("qid", sorted(RANKINGS))
def test_success_at_3_matches_trec_eval(qid):
    assert metrics.success_at(3, RANKINGS[qid], JUDGMENTS[qid]) == pytest.approx(reference(Success @ 3, qid))


def test_linear_gains_not_exponential():
    """BEIR's nDCG (pytrec_eval) counts a grade-2 document as gain 2, not 2**2 - 1 = 3."""
    ideal_then_swapped = metrics.ndcg_at(10, ["b", "a"], {"a": 2, "b": 1})
    assert ideal_then_swapped == pytest.approx((1 + 2 / 1.584962500721156) / (2 + 1 / 1.584962500721156))


def test_an_empty_ranking_scores_zero():
    assert metrics.ndcg_at(10, [], EMPTY["q4"]) == 0.0 == metrics.recall_at(100, [], EMPTY["q4"])
    assert metrics.ndcg_at(10, ["d1"], {}) == 0.0
