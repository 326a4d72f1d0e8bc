"""The insights report: what patients searched for over a range of days, what they did not
find, what they opened, and which articles they rated. Read by the /insights page, its CSV
downloads and `kb insights`, so all three say the same.

Identical searches share one search_id (kb/engine.py), so clicks are counted per search_id
and a search_id's clicked searches are at most its searches: when ten people ask "cost" and
three open a result, three of the ten searches were clicked.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlalchemy import case, func, select

from kb.insights.store import EventStore
from kb.insights.tables import clicks, feedback, searches

RANGES = (7, 30, 90)
DEFAULT_DAYS = 30
TOP = 20
#: Clicked positions as the chart groups them: 1 to 10 each, then everything further down.
POSITION_GROUPS = tuple(str(n) for n in range(1, 11)) + ("11+",)


@dataclass
class QueryRow:
    query: str
    searches: int = 0
    zero_results: int = 0
    clicks: int = 0
    clicked_searches: int = 0
    unmatched: set[str] = field(default_factory=set)

    @property
    def results(self) -> bool:
        return self.zero_results < self.searches


@dataclass
class ArticleRow:
    slug: str
    helpful: int = 0
    not_helpful: int = 0
    reasons: Counter = field(default_factory=Counter)
    clicks: int = 0


@dataclass
class Report:
    first_day: dt.date
    last_day: dt.date
    per_day: list[tuple[dt.date, int]]
    queries: list[QueryRow]
    positions: list[tuple[str, int]]
    articles: list[ArticleRow]

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    @property
    def searches(self) -> int:
        return sum(count for _, count in self.per_day)

    @property
    def top_queries(self) -> list[QueryRow]:
        return self.queries[:TOP]

    @property
    def no_results(self) -> list[QueryRow]:
        return [row for row in self.queries if not row.results][:TOP]

    @property
    def no_clicks(self) -> list[QueryRow]:
        return [row for row in self.queries if row.results and not row.clicks][:TOP]

    @property
    def unmatched_words(self) -> list[tuple[str, int]]:
        """Words no article mentions, by how many searches used them: the articles to write."""
        counts: Counter = Counter()
        for row in self.queries:
            for word in row.unmatched:
                counts[word] += row.searches
        return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:TOP]

    @property
    def click_through(self) -> float | None:
        """Share of searches with results after which a result was opened."""
        answered = sum(row.searches - row.zero_results for row in self.queries)
        clicked = sum(row.clicked_searches for row in self.queries)
        return clicked / answered if answered else None

    @property
    def rated_articles(self) -> list[ArticleRow]:
        return [row for row in self.articles if row.helpful or row.not_helpful]


def build_report(store: EventStore, days: int = DEFAULT_DAYS, today: dt.date | None = None) -> Report:
    last_day = today or dt.date.today()
    first_day = last_day - dt.timedelta(days=days - 1)
    with store.connect() as connection:
        per_day = dict(connection.execute(
            select(searches.c.day, func.count()).where(searches.c.day >= first_day).group_by(searches.c.day)
        ).all())
        by_search = connection.execute(
            select(
                searches.c.query, searches.c.search_id, func.count(),
                func.sum(case((searches.c.results == 0, 1), else_=0)), func.max(searches.c.unmatched),
            ).where(searches.c.day >= first_day).group_by(searches.c.query, searches.c.search_id)
        ).all()
        click_rows = connection.execute(
            select(clicks.c.search_id, clicks.c.slug, clicks.c.position, func.count())
            .where(clicks.c.day >= first_day).group_by(clicks.c.search_id, clicks.c.slug, clicks.c.position)
        ).all()
        feedback_rows = connection.execute(
            select(feedback.c.slug, feedback.c.helpful, feedback.c.reason, func.count())
            .where(feedback.c.day >= first_day).group_by(feedback.c.slug, feedback.c.helpful, feedback.c.reason)
        ).all()
    return Report(
        first_day=first_day,
        last_day=last_day,
        per_day=[(day, per_day.get(day, 0)) for day in _days(first_day, last_day)],
        queries=_queries(by_search, click_rows),
        positions=_positions(click_rows),
        articles=_articles(click_rows, feedback_rows),
    )


def _days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def _queries(by_search, click_rows) -> list[QueryRow]:
    clicks_per_search: Counter = Counter()
    for search_id, _slug, _position, count in click_rows:
        clicks_per_search[search_id] += count
    rows: dict[str, QueryRow] = {}
    for query, search_id, count, zero, unmatched in by_search:
        row = rows.setdefault(query, QueryRow(query))
        row.searches += count
        row.zero_results += int(zero or 0)
        row.clicks += clicks_per_search[search_id]
        row.clicked_searches += min(count, clicks_per_search[search_id])
        row.unmatched.update((unmatched or "").split())
    return sorted(rows.values(), key=lambda row: (-row.searches, row.query))


def _positions(click_rows) -> list[tuple[str, int]]:
    counts: Counter = Counter()
    for _search_id, _slug, position, count in click_rows:
        counts[str(position) if position <= 10 else "11+"] += count
    return [(group, counts[group]) for group in POSITION_GROUPS]


def _articles(click_rows, feedback_rows) -> list[ArticleRow]:
    rows: dict[str, ArticleRow] = defaultdict(lambda: ArticleRow(""))
    for _search_id, slug, _position, count in click_rows:
        rows[slug].clicks += count
    for slug, helpful, reason, count in feedback_rows:
        row = rows[slug]
        if helpful:
            row.helpful += count
        else:
            row.not_helpful += count
            row.reasons[reason or "unsaid"] += count
    for slug, row in rows.items():
        row.slug = slug
    # Least helpful first: the articles to fix come to the top.
    return sorted(rows.values(), key=lambda row: (-row.not_helpful, -row.clicks, row.slug))


