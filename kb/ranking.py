"""How text is scored: field weights and the BM25 variant.

Every knob is a KB_RANK_* setting (kb/settings.py holds the defaults and their help); the
defaults were chosen on the NFCorpus dev split together with the clinic's own judged questions
(docs/benchmarks.md, `benchmarks/relevance.py`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from kb.errors import ConfigError
from kb.settings import DEFAULTS

TEXT_FIELDS = ("title", "summary", "headings", "tags", "body")
IDF_KINDS = ("probabilistic", "whoosh")
MODELS = ("bm25f", "per-field")


@dataclass(frozen=True)
class Ranking:
    model: str
    field_weights: tuple[tuple[str, float], ...]
    coordination: float
    k1: float
    b: float
    idf: str
    question_word_weight: float

    @classmethod
    def from_settings(cls, settings: Mapping[str, object] = DEFAULTS) -> Ranking:
        """From the app's config; a missing RANK_* key keeps its default, a bad one names itself."""

        def value(name: str, kind, low: float, high: float):
            raw = settings.get(name, DEFAULTS[name])
            try:
                number = kind(raw)
            except (TypeError, ValueError):
                raise ConfigError(f"{name} must be a number from {low} to {high}, not {raw!r}") from None
            if not low <= number <= high:
                raise ConfigError(f"{name} must be from {low} to {high}, not {raw!r}")
            return number

        def choice(name: str, allowed: tuple[str, ...]) -> str:
            raw = str(settings.get(name, DEFAULTS[name]))
            if raw not in allowed:
                raise ConfigError(f"{name} must be one of {', '.join(allowed)}, not {raw!r}")
            return raw

        return cls(
            model=choice("RANK_MODEL", MODELS),
            field_weights=parse_field_weights(settings.get("RANK_FIELD_WEIGHTS", DEFAULTS["RANK_FIELD_WEIGHTS"])),
            coordination=value("RANK_COORDINATION", float, 0, 1),
            k1=value("RANK_K1", float, 0, 10),
            b=value("RANK_B", float, 0, 1),
            idf=choice("RANK_IDF", IDF_KINDS),
            question_word_weight=value("RANK_QUESTION_WORD_WEIGHT", float, 0, 1),
        )


def parse_field_weights(raw: object) -> tuple[tuple[str, float], ...]:
    """'title=2,summary=1.5,...' -> (('title', 2.0), ...); every text field must be given, each weight >= 0."""
    pairs = []
    for part in str(raw).split(","):
        name, _, weight = part.partition("=")
        name = name.strip()
        try:
            number = float(weight)
        except ValueError:
            raise ConfigError(f"RANK_FIELD_WEIGHTS: '{part.strip()}' is not NAME=WEIGHT") from None
        if name not in TEXT_FIELDS or number < 0:
            raise ConfigError(f"RANK_FIELD_WEIGHTS: '{part.strip()}' needs a field of {', '.join(TEXT_FIELDS)} and a weight >= 0")
        pairs.append((name, number))
    if sorted(name for name, _ in pairs) != sorted(TEXT_FIELDS):
        raise ConfigError(f"RANK_FIELD_WEIGHTS must give each of {', '.join(TEXT_FIELDS)} once")
    return tuple(pairs)
