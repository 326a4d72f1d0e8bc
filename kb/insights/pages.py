"""Blueprint `insights`: the staff insights page and its CSV downloads (signed-in staff only)."""
from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from flask import Blueprint, Response, redirect, render_template, request, url_for

from kb import auth
from kb.articles import STAFF
from kb.errors import BadParameter
from kb.extensions import insights_recorder, search_service
from kb.insights.charts import bar_chart
from kb.insights.export import articles_csv, searches_csv
from kb.insights.report import DEFAULT_DAYS, RANGES, build_report
from kb.reviews import needing_review

bp = Blueprint("insights", __name__, url_prefix="/insights")
MAX_DAYS = 3650
REASON_LABELS = {
    "not_answered": "did not answer the question",
    "hard_to_understand": "hard to understand",
    "out_of_date": "out of date",
    "other": "other reason",
    "unsaid": "no reason given",
}


@bp.before_request
def _staff_only():
    if not auth.staff_name():
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    return None


@bp.after_request
def _never_stored(response):
    response.cache_control.private = True
    response.cache_control.no_store = True
    return response


@bp.get("")
def insights_page():
    days = _days()
    report = build_report(insights_recorder().store, days) if insights_recorder().enabled else None
    engine = search_service().engine()
    articles = engine.articles(STAFF)
    titles = {article["slug"]: article["title"] for article in articles}
    return render_template(
        "insights/index.html",
        days=days,
        ranges=RANGES,
        report=report,
        titles=titles,
        reasons=REASON_LABELS,
        per_day=bar_chart([(f"{day.day} {day:%b}", count) for day, count in report.per_day]) if report else None,
        positions=bar_chart(report.positions) if report else None,
        reviews=needing_review(articles, dt.date.today()),
        search_url=lambda q: "/?" + urlencode({"q": q}),
    )


@bp.get("/searches.csv")
def searches_download():
    return _csv(searches_csv(_report()), "searches")


@bp.get("/articles.csv")
def articles_download():
    return _csv(articles_csv(_report(), search_service().engine().articles(STAFF)), "articles")


def _report():
    if not insights_recorder().enabled:
        raise BadParameter("insights are not recorded (KB_ANALYTICS is false)", param="KB_ANALYTICS", status=404, code="not_found")
    return build_report(insights_recorder().store, _days())


def _days() -> int:
    raw = request.args.get("days", "")
    if raw == "":
        return DEFAULT_DAYS
    # ASCII digits only: int() would also take "٣" or " 30".
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_DAYS:
        raise BadParameter(f"days must be a whole number from 1 to {MAX_DAYS}", param="days")
    return int(raw)


def _csv(text: str, name: str) -> Response:
    filename = f"{name}-{dt.date.today().isoformat()}.csv"
    return Response(text, mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'})
