"""What is recorded, in the shape it is stored: searches from the public API's answers, and
click and feedback events from the body of POST /api/v1/events, checked field by field."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Callable, Iterable

import orjson
from flask import request

from kb.errors import BadParameter
from kb.insights.scrub import scrub
from kb.insights.tables import QUERY_LENGTH

#: Larger bodies are refused before they are read (a click is about 100 bytes).
MAX_EVENT_BYTES = 1024
MAX_POSITION = 1000
REASONS = ("not_answered", "hard_to_understand", "out_of_date", "other")
SEARCH_ID = re.compile(r"[0-9a-f]{8,64}")
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_FIELDS = {
    "click": {"type", "search_id", "slug", "position"},
    "feedback": {"type", "slug", "helpful", "reason"},
}


@dataclass(frozen=True)
class SearchRecord:
    """A public search as stored: the query scrubbed and normalised, never as typed."""

    query: str
    results: int
    unmatched: str
    corrected: bool
    facets: str
    search_id: str

    @classmethod
    def of(cls, typed: str, answer: dict, filters: Iterable[tuple[str, Iterable[str]]], phone_regions: Iterable[str]):
        query = normalise(scrub(typed, phone_regions))
        kept_words = set(query.split())
        # An unmatched word is a word as typed: only those that survived scrubbing are kept.
        unmatched = [word for word in answer.get("unmatched", ()) if word in kept_words]
        return cls(
            query=query,
            results=int(answer["total"]),
            unmatched=" ".join(unmatched)[:QUERY_LENGTH],
            corrected=answer.get("corrected") is not None,
            facets=" ".join(f"{key}={value}" for key, values in filters for value in values)[:400],
            search_id=answer["search_id"],
        )

    @classmethod
    def of_search(cls, search, answer: dict, phone_regions: Iterable[str]) -> "SearchRecord | None":
        """What is kept of a search (a SearchRequest and its answer), or None: only a search
        with words or filters, on its first page, is one (other pages ask the same question)."""
        if search.page != 1 or not (search.q or search.filters):
            return None
        return cls.of(search.q, answer, search.filters, phone_regions)

    def row(self) -> dict:
        return {
            "query": self.query, "results": self.results, "unmatched": self.unmatched,
            "corrected": self.corrected, "facets": self.facets, "search_id": self.search_id,
        }


def analytics_wanted() -> bool:
    """False for `analytics=false`: as-you-type searches, before the patient settles on one."""
    return request.args.get("analytics") != "false"


def normalise(text: str) -> str:
    """One spelling of a query: compatibility characters folded, lower case, single spaces."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())[:QUERY_LENGTH]


def parse_event(body: bytes, is_public_article: Callable[[str], bool]) -> tuple[str, dict]:
    """(table, row) of one event; BadParameter naming the first field that is wrong."""
    try:
        event = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise BadParameter("the body must be one JSON object", param="body") from None
    if not isinstance(event, dict):
        raise BadParameter("the body must be one JSON object", param="body")
    kind = event.get("type")
    if not isinstance(kind, str) or kind not in _FIELDS:
        raise BadParameter("type must be 'click' or 'feedback'", param="type")
    for name in event:
        if name not in _FIELDS[kind]:
            raise BadParameter(f"unknown field '{name}' for a {kind} event", param=str(name)[:40])
    slug = event.get("slug")
    if not isinstance(slug, str) or not _SLUG.fullmatch(slug) or not is_public_article(slug):
        raise BadParameter("slug must name a public article", param="slug")
    if kind == "click":
        return "clicks", {"search_id": _search_id(event.get("search_id")), "slug": slug, "position": _position(event.get("position"))}
    helpful = event.get("helpful")
    if not isinstance(helpful, bool):
        raise BadParameter("helpful must be true or false", param="helpful")
    reason = event.get("reason")
    if reason is not None and reason not in REASONS:
        raise BadParameter(f"reason must be one of {', '.join(REASONS)}", param="reason")
    return "feedback", {"slug": slug, "helpful": helpful, "reason": reason}


def _search_id(value) -> str:
    if not isinstance(value, str) or not SEARCH_ID.fullmatch(value):
        raise BadParameter("search_id must be the search_id of a search answer", param="search_id")
    return value


def _position(value) -> int:
    # Whatever JSON Schema calls an integer is one (3, and 3.0 as some encoders write it);
    # bool is an int in Python, but true must not count as position 1.
    whole = isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if isinstance(value, bool) or not whole or not 1 <= value <= MAX_POSITION:
        raise BadParameter(f"position must be a whole number from 1 to {MAX_POSITION}", param="position")
    return int(value)
