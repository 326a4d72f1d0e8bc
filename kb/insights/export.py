"""The insights report as CSV files for a spreadsheet.

A query is text a patient typed: a cell that starts with =, +, -, @ or a tab would run as a
formula when the file is opened in a spreadsheet, so such a cell starts with an apostrophe
(OWASP's advice for CSV injection).
"""
from __future__ import annotations

import csv
import io
from typing import Iterable

from kb.insights.report import Report

SEARCH_COLUMNS = ("query", "searches", "zero_results", "clicks", "unmatched")
ARTICLE_COLUMNS = (
    "slug", "title", "clicks", "helpful", "not_helpful",
    "not_answered", "hard_to_understand", "out_of_date", "other", "reviewed_on", "review_due",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def searches_csv(report: Report) -> str:
    return _csv(SEARCH_COLUMNS, (
        (row.query, row.searches, row.zero_results, row.clicks, " ".join(sorted(row.unmatched)))
        for row in report.queries
    ))


def articles_csv(report: Report, articles: list[dict]) -> str:
    """Every article staff can see, with its clicks and ratings in the report's range."""
    rated = {row.slug: row for row in report.articles}
    rows = []
    for article in articles:
        row = rated.get(article["slug"])
        review = article.get("reviewed") or {}
        rows.append((
            article["slug"], article["title"],
            row.clicks if row else 0, row.helpful if row else 0, row.not_helpful if row else 0,
            *(row.reasons[reason] if row else 0 for reason in ("not_answered", "hard_to_understand", "out_of_date", "other")),
            review.get("on", ""), review.get("next", ""),
        ))
    return _csv(ARTICLE_COLUMNS, rows)


def safe_cell(value) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _csv(columns: Iterable[str], rows: Iterable[Iterable]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
    return out.getvalue()
