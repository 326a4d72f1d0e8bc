"""Clinical review of an article: who reviewed it, when, and when the next review is due.

Front matter `reviewed: {by: "Dr A. Patel", on: 2026-10-01, next: 2027-04-01}`. Article pages
say "Reviewed on ... by ..."; the insights page lists articles whose review is due or that
were never reviewed.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable

KEYS = ("by", "on", "next")
DUE, NEVER, CURRENT = "due", "never", "current"


@dataclass(frozen=True)
class Review:
    by: str
    on: dt.date
    next: dt.date

    def as_dict(self) -> dict:
        return {"by": self.by, "on": self.on.isoformat(), "next": self.next.isoformat()}

    @classmethod
    def from_dict(cls, data: dict | None) -> "Review | None":
        if not data:
            return None
        return cls(data["by"], dt.date.fromisoformat(data["on"]), dt.date.fromisoformat(data["next"]))

    def state(self, today: dt.date) -> str:
        return DUE if self.next <= today else CURRENT


def parse_review(value, line: int, problem: Callable[[int, str], None], today: dt.date,
                 read_date: Callable[[object, str], dt.date | None]) -> Review | None:
    """The `reviewed` mapping checked: a reviewer's name, a review date not in the future, and a
    next review after it. Each problem is reported at the key's line; `read_date(value, name)`
    reads a date as the rest of the front matter does (None, with a problem, if it is not one)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        problem(line, "'reviewed' must be a mapping like {by: Dr A. Patel, on: 2026-10-01, next: 2027-04-01}")
        return None
    unknown = sorted(set(map(str, value)) - set(KEYS))
    if unknown:
        problem(line, f"'reviewed' has unknown keys {unknown}; use by, on and next")
    by = value.get("by")
    if not isinstance(by, str) or not by.strip():
        problem(line, "'reviewed' needs 'by': the reviewer's name")
    on, next_review = (read_date(value.get(key), f"reviewed {key}") for key in ("on", "next"))
    for key, day in (("on", on), ("next", next_review)):
        if value.get(key) is None:
            problem(line, f"'reviewed' needs '{key}': a date like 2026-11-01")
    if on and on > today:
        problem(line, f"reviewed on {on.isoformat()} is in the future")
    if on and next_review and next_review <= on:
        problem(line, "reviewed next must come after reviewed on")
    if not (isinstance(by, str) and by.strip() and on and next_review):
        return None
    return Review(" ".join(by.split()), on, next_review)


def needing_review(articles: list[dict], today: dt.date) -> list[tuple[dict, str]]:
    """(article, DUE or NEVER) for each article whose review is due or that was never reviewed;
    the most overdue first, then the never reviewed by title."""
    due, never = [], []
    for article in articles:
        review = Review.from_dict(article.get("reviewed"))
        if review is None:
            never.append((article, NEVER))
        elif review.state(today) == DUE:
            due.append((article, DUE))
    due.sort(key=lambda item: item[0]["reviewed"]["next"])
    return due + never
