"""The clinic's judged questions (tests/clinic_questions.yaml) run through the search the API and pages use."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from benchmarks import metrics
from kb.engine import Engine
from kb.parameters import parse_request

QUESTIONS = Path(__file__).resolve().parent.parent / "tests" / "clinic_questions.yaml"


@dataclass(frozen=True)
class Question:
    q: str
    answers: dict[str, int]
    kind: str
    audience: str = "public"


@dataclass(frozen=True)
class Outcome:
    question: Question
    ranking: list[str]

    @property
    def ndcg(self) -> float:
        return metrics.ndcg_at(10, self.ranking, self.question.answers)

    @property
    def success(self) -> float:
        return metrics.success_at(3, self.ranking, self.question.answers)


def load_questions(path: Path = QUESTIONS) -> list[Question]:
    return [Question(**item) for item in yaml.safe_load(path.read_text(encoding="utf-8"))]


def run(engine: Engine, questions: list[Question]) -> list[Outcome]:
    outcomes = []
    for question in questions:
        result = engine.search(parse_request({"q": [question.q]}, engine.taxonomy), question.audience)
        outcomes.append(Outcome(question, [hit["slug"] for hit in result["hits"]]))
    return outcomes


def summary(outcomes: list[Outcome]) -> tuple[float, float]:
    """Mean nDCG@10 and the share of questions answered in the top 3."""
    return metrics.mean([o.ndcg for o in outcomes]), metrics.mean([o.success for o in outcomes])
