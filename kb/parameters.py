"""Search parameters checked at the edge: the one parser the API, the staff pages and `kb search` share."""
from __future__ import annotations

import decimal
import re
from dataclasses import dataclass
from typing import Mapping, Sequence

from kb.errors import BadParameter, QueryTooLong
from kb.settings import DEFAULTS
from kb.taxonomy import FACET_KEYS, Taxonomy

SORTS = ("relevance", "updated", "title")
PER_PAGE_DEFAULT, PER_PAGE_MAX = 10, 50
SEARCH_PARAMS = ("q", "page", "per_page", "sort", "correct", "analytics", *FACET_KEYS)


@dataclass(frozen=True)
class Limits:
    """The configured bounds on a search: the longest query and the deepest page."""

    max_query_length: int = DEFAULTS["MAX_QUERY_LENGTH"]
    max_page: int = DEFAULTS["MAX_PAGE"]

    @classmethod
    def from_settings(cls, settings: Mapping[str, object]) -> Limits:
        return cls(int(settings["MAX_QUERY_LENGTH"]), int(settings["MAX_PAGE"]))


@dataclass(frozen=True)
class SearchRequest:
    q: str = ""
    filters: tuple[tuple[str, tuple[str, ...]], ...] = ()
    page: int = 1
    per_page: int = PER_PAGE_DEFAULT
    sort: str = "relevance"
    #: False runs the text as typed, never a spelling correction ("search instead for ...").
    correct: bool = True

    def selected(self, key: str) -> tuple[str, ...]:
        return dict(self.filters).get(key, ())

    def cache_key(self) -> tuple:
        """Requests with the same key get the same answer. `q` is kept as typed: the answer repeats
        it (`query`) and the correction keeps its other words' case, so "Boxcar scarrs" and
        "boxcar scarrs" are two answers."""
        return (self.q, self.filters, self.page, self.per_page, self.sort, self.correct)

    def question_key(self) -> tuple:
        """Every page of one search, whatever the case and spacing of its words: the same question
        (what its `search_id` names)."""
        return (" ".join(self.q.split()).casefold(), self.filters, self.sort, self.correct)


def parse_request(params: Mapping[str, Sequence[str]], taxonomy: Taxonomy, limits: Limits = Limits()) -> SearchRequest:
    """Check search parameters (name -> list of values); every problem names its parameter."""
    for name in params:
        if name not in SEARCH_PARAMS:
            raise BadParameter(f"unknown parameter '{name}'; known: {', '.join(SEARCH_PARAMS)}", param=name)
    q = query_text(params, limits)
    page = _integer(params, "page", 1, 1, limits.max_page)
    per_page = _integer(params, "per_page", PER_PAGE_DEFAULT, 1, PER_PAGE_MAX)
    sort = single(params, "sort") or "relevance"
    if sort not in SORTS:
        raise BadParameter(f"sort must be one of {', '.join(SORTS)}", param="sort")
    correct = boolean(params, "correct")
    # Whether the search is recorded for insights: the service reads it per request (analytics_wanted).
    boolean(params, "analytics")
    filters = []
    for key in FACET_KEYS:
        values = facet_values(params.get(key, ()), key, taxonomy)
        if values:
            filters.append((key, tuple(sorted(set(values)))))
    return SearchRequest(q=q.strip(), filters=tuple(filters), page=page, per_page=per_page, sort=sort, correct=correct)


def query_text(params: Mapping[str, Sequence[str]], limits: Limits) -> str:
    """`q`, given at most once, no longer than the limit (413 past it), without NUL characters."""
    q = single(params, "q") or ""
    if len(q) > limits.max_query_length:
        raise QueryTooLong(f"q must be at most {limits.max_query_length} characters", param="q")
    if "\x00" in q:
        raise BadParameter("q must not contain NUL characters", param="q")
    return q


def facet_values(values: Sequence[str], key: str, taxonomy: Taxonomy) -> list[str]:
    """The non-empty values given for facet `key`; an unknown one is a 400 that names the closest valid ones."""
    values = [value for value in values if value != ""]
    for value in values:
        if taxonomy.facet(key).get(value) is None:
            raise BadParameter(
                f"unknown {key} value '{value}'; closest valid values: {', '.join(taxonomy.closest(key, value))}",
                param=key,
            )
    return values


def single(params: Mapping[str, Sequence[str]], name: str) -> str | None:
    values = params.get(name) or []
    if len(values) > 1:
        raise BadParameter(f"{name} must be given once", param=name)
    return values[0] if values else None


def boolean(params: Mapping[str, Sequence[str]], name: str, default: bool = True) -> bool:
    value = single(params, name)
    if value is None or value == "":
        return default
    if value not in ("true", "false"):
        raise BadParameter(f"{name} must be true or false", param=name)
    return value == "true"


#: A JSON number as written in a query string, in ASCII digits.
NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?", re.ASCII)


def _integer(params, name, default, low, high) -> int:
    raw = single(params, name)
    if raw is None or raw == "":
        return default
    # Whatever JSON Schema calls an integer is one: "3", and "3.0" or "3e0" as a generated client may write it.
    # ASCII digits only: Decimal would also read "٣" (Arabic-Indic) or "３" (full width) as 3, and "1_0" as 10.
    value = None
    if NUMBER.fullmatch(raw.strip(" ")):  # "+3" unencoded in a query string arrives as " 3"
        try:
            value = decimal.Decimal(raw)
        except decimal.InvalidOperation:
            value = None
    if value is None or not value.is_finite() or value != value.to_integral_value():
        raise BadParameter(f"{name} must be a whole number from {low} to {high}", param=name)
    if not low <= value <= high:
        raise BadParameter(f"{name} must be between {low} and {high}", param=name)
    return int(value)
