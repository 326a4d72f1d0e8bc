"""The staff insights page, its CSV downloads, `kb insights`, and the clinical reviews."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest

from conftest import FIXTURES, make_app
from helpers import PASSWORD, kb, kb_env, sign_in
from kb.articles import ArticleInvalid, load_article
from kb.insights.charts import bar_chart
from kb.insights.events import REASONS
from kb.insights.export import SEARCH_COLUMNS
from kb.insights.pages import REASON_LABELS
from kb.reviews import Review, needing_review
from kb.web import FEEDBACK_REASONS

SLUG = "ice-pick-scars"


@pytest.fixture
def insights_app(built_index, tmp_path):
    app = make_app(FIXTURES, built_index, tmp_path / "instance")
    client = app.test_client()
    client.get("/api/v1/search?procedure=microneedling")  # a search by filter alone: no words
    for number, query in enumerate(["ice pick", "ice pick", "ice pick", "eczema", "eczema cream", "=HYPERLINK(1)", "laser"]):
        answer = client.get("/api/v1/search", query_string={"q": query}).json
        if number == 0:  # one of the three "ice pick" searches opens a result
            click = {"type": "click", "search_id": answer["search_id"], "slug": answer["hits"][0]["slug"], "position": 1}
            client.post("/api/v1/events", data=json.dumps(click), content_type="text/plain")
    for helpful, reason in [(False, "out_of_date"), (False, None), (True, None)]:
        event = {"type": "feedback", "slug": SLUG, "helpful": helpful, **({"reason": reason} if reason else {})}
        client.post("/api/v1/events", data=json.dumps(event), content_type="text/plain")
    app.extensions["kb.insights"].flush()
    app.extensions["kb.accounts"].add("nurse", PASSWORD)
    yield app
    app.extensions["kb.search"].close()
    app.extensions["kb.insights"].store.dispose()


@pytest.fixture
def staff(insights_app):
    client = insights_app.test_client()
    assert sign_in(client).status_code == 302
    return client


@pytest.mark.parametrize("path", ["/insights", "/insights?days=7", "/insights/searches.csv", "/insights/articles.csv"])
def test_only_signed_in_staff_see_insights(insights_app, path):
    answer = insights_app.test_client().get(path)
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/login?next=/insights")


def test_the_page_reports_what_patients_did_not_find(staff):
    answer = staff.get("/insights?days=7")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert "no-store" in answer.headers["Cache-Control"] and "private" in answer.headers["Cache-Control"]
    for heading in ["Words no article mentions", "Top queries", "Queries with no results", "Queries with results but no click",
                    "Click-through and clicked positions", "Was this helpful?", "Content health"]:
        assert heading in page
    assert '<a href="/?q=eczema">eczema</a> <span class="count">2 searches</span>' in page
    assert 'aria-current="page">Last 7 days' in page
    assert "<svg" in page and "<script" not in page.split("<main")[1]  # charts drawn on the server
    assert "out of date (1)" in page and "no reason given (1)" in page
    assert "Review due" in page and "Never reviewed" in page
    assert 'href="/insights"' in page  # the header links to it
    assert ">(no words: filters only)</a>" in page  # a filter-only search still has a link text


def test_the_searches_csv_has_the_contracts_columns_and_is_safe_in_a_spreadsheet(staff):
    answer = staff.get("/insights/searches.csv?days=30")
    assert answer.mimetype == "text/csv" and "attachment" in answer.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))
    assert tuple(rows[0]) == SEARCH_COLUMNS
    by_query = {row["query"]: row for row in rows}
    assert by_query["ice pick"]["searches"] == "3" and by_query["ice pick"]["clicks"] == "1"
    assert by_query["eczema cream"]["unmatched"] == "cream eczema" or "eczema" in by_query["eczema cream"]["unmatched"]
    assert by_query["eczema"]["zero_results"] == "1"
    assert "'=hyperlink(1)" in by_query  # never a formula


def test_the_articles_csv_lists_every_article_with_its_ratings_and_review(staff):
    rows = {row["slug"]: row for row in csv.DictReader(io.StringIO(staff.get("/insights/articles.csv").get_data(as_text=True)))}
    assert rows[SLUG]["helpful"] == "1" and rows[SLUG]["not_helpful"] == "2" and rows[SLUG]["out_of_date"] == "1"
    assert rows[SLUG]["reviewed_on"] == "2025-01-10" and rows[SLUG]["review_due"] == "2025-07-10"
    assert "staff-screening" in rows  # staff see every article


@pytest.mark.parametrize("days", ["0", "x", "٣", "3.5", "99999", "-1"])
def test_a_bad_range_is_a_400_naming_days(staff, days):
    answer = staff.get(f"/insights/searches.csv?days={days}")
    assert answer.status_code == 400


def test_with_analytics_off_the_page_says_so(built_index, tmp_path):
    app = make_app(FIXTURES, built_index, tmp_path / "instance", ANALYTICS=False)
    app.extensions["kb.accounts"].add("nurse", PASSWORD)
    client = app.test_client()
    sign_in(client)
    assert "Recording is off" in client.get("/insights").get_data(as_text=True)
    assert client.get("/insights/searches.csv").status_code == 404
    app.extensions["kb.search"].close()


def test_report_figures(insights_app):
    from kb.insights.report import build_report

    report = build_report(insights_app.extensions["kb.insights"].store, 30)
    rows = {row.query: row for row in report.queries}
    assert (rows["ice pick"].searches, rows["ice pick"].clicked_searches) == (3, 1)
    answered = sum(row.searches - row.zero_results for row in report.queries)
    assert report.click_through == pytest.approx(1 / answered)
    assert report.unmatched_words[0] == ("eczema", 2)
    assert dict(report.positions)["1"] == 1
    assert report.per_day[-1] == (dt.date.today(), 8) and len(report.per_day) == 30


def test_bar_charts_scale_to_the_largest_value():
    chart = bar_chart([("a", 0), ("b", 5), ("c", 10)], width=300, height=122)
    assert [bar.height for bar in chart.bars] == [0, 42.0, 84.0]  # plot height 122 - 22 - 16
    assert chart.bars[2].y == 16 and chart.ticks[0] == ("a", 50.0, "middle")
    many = bar_chart([(str(n), n) for n in range(30)])
    assert [anchor for _, _, anchor in many.ticks] == ["start", "end"]
    assert bar_chart([]).maximum == 0


def test_reason_lists_agree():
    assert set(FEEDBACK_REASONS) == set(REASONS) and set(REASONS) <= set(REASON_LABELS)


def test_kb_insights_prints_the_report_and_the_csv(insights_app, built_index, tmp_path):
    env = kb_env(FIXTURES, built_index, tmp_path / "instance")
    text = kb(["insights", "--days", "7"], env).stdout
    assert "Searches: 8" in text and "eczema (2)" in text and "ice pick (3, clicks 1)" in text
    assert kb(["insights", "--csv"], env).stdout.splitlines()[0] == ",".join(SEARCH_COLUMNS)


# -- clinical reviews -----------------------------------------------------------------------


def test_article_pages_say_who_reviewed_them(insights_app):
    page = insights_app.test_client().get(f"/articles/{SLUG}").get_data(as_text=True)
    assert 'Reviewed on <time datetime="2025-01-10">10 January 2025</time> by Dr Test Reviewer' in page
    assert insights_app.test_client().get(f"/api/v1/articles/{SLUG}").json["reviewed"] == {
        "by": "Dr Test Reviewer", "on": "2025-01-10", "next": "2025-07-10"}


def test_due_reviews_come_first_then_the_never_reviewed():
    articles = [
        {"slug": "a", "title": "A", "reviewed": None},
        {"slug": "b", "title": "B", "reviewed": Review("X", dt.date(2026, 1, 1), dt.date(2026, 6, 1)).as_dict()},
        {"slug": "c", "title": "C", "reviewed": Review("X", dt.date(2026, 1, 1), dt.date(2027, 6, 1)).as_dict()},
    ]
    assert [(article["slug"], state) for article, state in needing_review(articles, dt.date(2026, 12, 5))] == [("b", "due"), ("a", "never")]


@pytest.mark.parametrize("reviewed, message", [
    ("reviewed: yes", "'reviewed' must be a mapping"),
    ("reviewed: {on: 2026-01-01, next: 2026-06-01}", "needs 'by'"),
    ("reviewed: {by: Dr A, on: 2026-13-01, next: 2027-01-01}", "reviewed on must be a date"),
    ("reviewed: {by: Dr A, on: 2026-06-01, next: 2026-01-01}", "next must come after"),
    ("reviewed: {by: Dr A, on: 2999-01-01, next: 2999-06-01}", "in the future"),
    ("reviewed: {by: Dr A, on: 2026-01-01, next: 2026-06-01, when: x}", "unknown keys"),
])
def test_kb_check_names_the_line_of_a_bad_review(tmp_path, reviewed, message):
    from kb.taxonomy import load_taxonomy

    path = tmp_path / "an-article.md"
    path.write_text(f"---\ntitle: T\nsummary: S\n{reviewed}\n---\nBody text.\n", encoding="utf-8")
    with pytest.raises(ArticleInvalid) as raised:
        load_article(path, load_taxonomy(FIXTURES / "taxonomy.yaml"))
    problems = raised.value.problems
    assert any(message in problem.message and problem.line == 4 for problem in problems), problems


def test_editors_are_offered_to_write_an_article_for_each_word_no_article_mentions(insights_app, staff):
    assert "Write an article" not in staff.get("/insights").get_data(as_text=True)  # staff read, editors write
    insights_app.extensions["kb.accounts"].add("ed", PASSWORD, "editor")
    editor = insights_app.test_client()
    assert sign_in(editor, "ed").status_code == 302
    page = editor.get("/insights").get_data(as_text=True)
    assert '<a class="write-article" href="/articles/new?q=eczema">Write an article<span class="visually-hidden"> about “eczema”</span></a>' in page
    form = editor.get("/articles/new?q=eczema").get_data(as_text=True)
    assert 'name="title" type="text" value="Eczema"' in form and "Patients searched for “eczema”" in form
