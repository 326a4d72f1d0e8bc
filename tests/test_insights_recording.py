"""Public searches, clicks and feedback are recorded (scrubbed, off the request path) on SQLite
and on PostgreSQL; staff searches and as-you-type searches are not; bad events are 400s."""
from __future__ import annotations

import datetime as dt
import json
import logging
import os

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from conftest import FIXTURES, make_app
from helpers import PASSWORD, sign_in
from kb.insights.events import MAX_EVENT_BYTES
from kb.insights.recorder import Recorder
from kb.insights.store import EventStore
from kb.insights.tables import TABLES, metadata

PUBLIC_SLUG, STAFF_SLUG = "ice-pick-scars", "staff-screening"


@pytest.fixture
def new_app(built_index, tmp_path):
    """make_app over the fixture index; every app made is closed after the test."""
    made = []

    def new(**settings):
        made.append(make_app(FIXTURES, built_index, tmp_path / "instance", **settings))
        return made[-1]

    yield new
    for app in made:
        app.extensions["kb.search"].close()
        if app.extensions["kb.insights"].store is not None:
            app.extensions["kb.insights"].store.dispose()


@pytest.fixture
def recording_app(new_app, analytics_url):
    return new_app(ANALYTICS_DATABASE_URL=analytics_url)


def rows(app, table: str) -> list[dict]:
    recorder = app.extensions["kb.insights"]
    recorder.flush()
    with recorder.store.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(sa.select(TABLES[table]).order_by(TABLES[table].c.id))]


def send(client, event, content_type="text/plain", **headers):
    body = event if isinstance(event, (bytes, str)) else json.dumps(event)
    return client.post("/api/v1/events", data=body, content_type=content_type, headers=headers)


# -- searches -------------------------------------------------------------------------------


def test_a_public_search_is_recorded_scrubbed_with_what_it_found(recording_app):
    client = recording_app.test_client()
    answer = client.get("/api/v1/search?q=Eczema+and+ice+pick+scars,+call+07700+900123&procedure=microneedling").json
    [row] = rows(recording_app, "searches")
    assert row["query"] == "eczema and ice pick scars, call [phone]"
    assert "07700" not in json.dumps(row, default=str)
    assert row["results"] == answer["total"]
    # Unmatched words are kept only as they survive scrubbing: the phone number's digits go.
    assert "900123" in answer["unmatched"]
    assert row["unmatched"] == "eczema call"
    assert row["facets"] == "procedure=microneedling"
    assert row["search_id"] == answer["search_id"]
    assert row["corrected"] is False
    assert row["day"] == dt.date.today()


def test_every_asking_counts_the_cached_answer_and_the_revalidated_one_too(recording_app):
    client = recording_app.test_client()
    first = client.get("/api/v1/search?q=ice+pick")
    client.get("/api/v1/search?q=ice+pick")  # from the answer cache
    assert client.get("/api/v1/search?q=ICE  pick").status_code == 200  # another spelling, same key
    assert client.get("/api/v1/search?q=ice+pick", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    recorded = rows(recording_app, "searches")
    assert [row["query"] for row in recorded] == ["ice pick"] * 4
    assert recorded[0]["results"] == first.json["total"] > 0


def test_a_corrected_search_is_marked_so(recording_app):
    client = recording_app.test_client()
    assert client.get("/api/v1/search?q=microneedlign").json["corrected"]
    assert rows(recording_app, "searches")[0]["corrected"] is True


def test_as_you_type_later_pages_and_empty_searches_are_not_recorded(recording_app):
    client = recording_app.test_client()
    for url in ("/api/v1/search?q=ice+pi&analytics=false", "/api/v1/search?q=ice&page=2&per_page=1", "/api/v1/search"):
        assert client.get(url).status_code == 200
    assert rows(recording_app, "searches") == []
    assert client.get("/api/v1/search?q=ice&analytics=maybe").json["error"]["param"] == "analytics"


def test_staff_searches_are_not_recorded_and_a_visitors_page_searches_are(recording_app):
    client = recording_app.test_client()
    assert client.get("/?q=cost").status_code == 200
    assert client.get("/?q=cost+typing", headers={"X-KB-Partial": "1"}).status_code == 200  # the script records those
    recording_app.extensions["kb.accounts"].add("nurse", PASSWORD)
    sign_in(client)
    assert client.get("/?q=screening").status_code == 200
    assert [row["query"] for row in rows(recording_app, "searches")] == ["cost"]


def test_the_page_tells_its_script_what_to_record_only_for_visitors(recording_app):
    client = recording_app.test_client()
    page = client.get("/?q=ice+pick").get_data(as_text=True)
    assert 'data-record="/api/v1/search?q=ice+pick"' in page
    assert 'data-position="1"' in page and "data-search-id=" in page
    recording_app.extensions["kb.accounts"].add("nurse", PASSWORD)
    sign_in(client)
    page = client.get("/?q=ice+pick").get_data(as_text=True)
    assert "data-record=" not in page and "data-search-id=" not in page


# -- events ---------------------------------------------------------------------------------


def test_clicks_and_feedback_are_recorded(recording_app):
    client = recording_app.test_client()
    search_id = client.get("/api/v1/search?q=ice+pick").json["search_id"]
    assert send(client, {"type": "click", "search_id": search_id, "slug": PUBLIC_SLUG, "position": 2}).status_code == 204
    assert send(client, {"type": "feedback", "slug": PUBLIC_SLUG, "helpful": False, "reason": "out_of_date"}, "application/json").status_code == 204
    assert send(client, {"type": "feedback", "slug": PUBLIC_SLUG, "helpful": True}).status_code == 204
    [click] = rows(recording_app, "clicks")
    assert (click["search_id"], click["slug"], click["position"]) == (search_id, PUBLIC_SLUG, 2)
    assert [(row["helpful"], row["reason"]) for row in rows(recording_app, "feedback")] == [(False, "out_of_date"), (True, None)]


CLICK = {"type": "click", "search_id": "0123456789abcdef", "slug": PUBLIC_SLUG, "position": 1}
BAD_EVENTS = [
    (b"not json", "body"),
    (b"[1, 2]", "body"),
    ({**CLICK, "type": "view"}, "type"),
    ({**CLICK, "type": ["click"]}, "type"),
    ({**CLICK, "extra": 1}, "extra"),
    ({**CLICK, "slug": STAFF_SLUG}, "slug"),
    ({**CLICK, "slug": "no-such-article"}, "slug"),
    ({**CLICK, "slug": "../etc/passwd"}, "slug"),
    ({**CLICK, "slug": 7}, "slug"),
    ({**CLICK, "position": 0}, "position"),
    ({**CLICK, "position": 1001}, "position"),
    ({**CLICK, "position": True}, "position"),
    ({**CLICK, "position": "1"}, "position"),
    ({**CLICK, "position": 1.5}, "position"),
    ({**CLICK, "search_id": "XYZ"}, "search_id"),
    ({**CLICK, "search_id": "0" * 65}, "search_id"),
    ({key: value for key, value in CLICK.items() if key != "search_id"}, "search_id"),
    ({"type": "feedback", "slug": PUBLIC_SLUG}, "helpful"),
    ({"type": "feedback", "slug": PUBLIC_SLUG, "helpful": "yes"}, "helpful"),
    ({"type": "feedback", "slug": PUBLIC_SLUG, "helpful": False, "reason": "I hated it"}, "reason"),
    ({"type": "feedback", "slug": PUBLIC_SLUG, "helpful": False, "search_id": "0123456789abcdef"}, "search_id"),
    (b"x" * (MAX_EVENT_BYTES + 1), "body"),
]


@pytest.mark.parametrize("event, param", BAD_EVENTS, ids=[param + str(n) for n, (_, param) in enumerate(BAD_EVENTS)])
def test_a_bad_event_is_a_400_naming_its_field_and_nothing_is_recorded(recording_app, event, param):
    answer = send(recording_app.test_client(), event)
    assert answer.status_code == 400
    assert answer.json["error"]["param"] == param
    assert rows(recording_app, "clicks") == rows(recording_app, "feedback") == []


def test_events_come_as_json_or_plain_text_only(recording_app):
    answer = send(recording_app.test_client(), CLICK, "application/x-www-form-urlencoded")
    assert (answer.status_code, answer.json["error"]["param"]) == (400, "Content-Type")
    assert recording_app.test_client().get("/api/v1/events").status_code == 405


def test_events_follow_the_apis_cors_origins(new_app):
    app = new_app(CORS_ORIGINS="https://clinic.example")
    client = app.test_client()
    allowed = send(client, CLICK, Origin="https://clinic.example")
    assert allowed.status_code == 204
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://clinic.example"
    refused = send(client, CLICK, Origin="https://elsewhere.example")
    assert (refused.status_code, refused.json["error"]["param"]) == (403, "Origin")
    assert send(client, CLICK, Origin="http://localhost").status_code == 204  # the service's own pages
    app.extensions["kb.insights"].flush()
    with app.extensions["kb.insights"].store.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM clicks")).scalar() == 2


def test_events_are_rate_limited_with_the_api(new_app):
    app = new_app(API_RATE_LIMIT="3 per minute")
    client = app.test_client()
    assert [send(client, CLICK).status_code for _ in range(4)] == [204, 204, 204, 429]


def test_with_analytics_off_nothing_is_recorded_and_no_database_is_made(new_app, tmp_path):
    app = new_app(ANALYTICS=False)
    client = app.test_client()
    assert client.get("/api/v1/search?q=ice").status_code == 200
    assert send(client, CLICK).status_code == 204  # still checked
    assert send(client, {**CLICK, "slug": STAFF_SLUG}).status_code == 400
    app.extensions["kb.insights"].close()
    assert not list(tmp_path.rglob("*.sqlite3"))


# -- never in the way of a search -----------------------------------------------------------


def test_a_database_that_is_down_costs_events_never_searches(new_app, caplog):
    # A closed port: every write fails at once.
    app = new_app(ANALYTICS_DATABASE_URL="postgresql+psycopg://kb@127.0.0.1:9/none")
    client, recorder = app.test_client(), app.extensions["kb.insights"]
    with caplog.at_level(logging.WARNING, logger="kb.insights.recorder"):
        for n in range(5):
            assert client.get(f"/api/v1/search?q=ice+{n}").status_code == 200
            assert send(client, CLICK).status_code == 204
            recorder.flush()
    assert recorder.lost == 10 and recorder.written == 0
    assert len(caplog.records) == 1
    assert "not recorded" in caplog.records[0].getMessage() and "searches are not affected" in caplog.records[0].getMessage()


def test_writing_again_after_a_failure_is_logged_once(tmp_path, caplog):
    folder = tmp_path / "db"
    folder.write_text("a file where the database's folder should be")
    recorder = Recorder(EventStore(f"sqlite:///{folder}/insights.sqlite3"), retention_days=90)
    with caplog.at_level(logging.WARNING, logger="kb.insights.recorder"):
        for _ in range(3):
            recorder.add("feedback", {"slug": PUBLIC_SLUG, "helpful": True, "reason": None})
            recorder.flush()
        folder.unlink()
        recorder.add("feedback", {"slug": PUBLIC_SLUG, "helpful": True, "reason": None})
        recorder.flush()
    assert (recorder.lost, recorder.written) == (3, 1)
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 2
    assert messages[0].startswith("insights: 1 events not recorded: FileExistsError")
    assert messages[1] == "insights: recording again; 3 events were lost in all"


def test_a_locked_database_costs_the_batch_not_the_request(tmp_path):
    url = f"sqlite:///{tmp_path / 'insights.sqlite3'}"
    EventStore(url).migrate()
    recorder = Recorder(EventStore(url, busy_seconds=0.05), retention_days=90)
    holder = sa.create_engine(url).connect()
    holder.exec_driver_sql("BEGIN EXCLUSIVE")
    try:
        recorder.add("feedback", {"slug": PUBLIC_SLUG, "helpful": True, "reason": None})
        recorder.flush()
    finally:
        holder.rollback()
        holder.close()
    assert recorder.lost == 1
    recorder.add("feedback", {"slug": PUBLIC_SLUG, "helpful": True, "reason": None})
    recorder.flush()
    assert recorder.written == 1


def test_the_queue_is_bounded(tmp_path):
    recorder = Recorder(EventStore(f"sqlite:///{tmp_path / 'insights.sqlite3'}"), retention_days=90, queue_limit=5)
    recorder._pid = os.getpid()  # no background thread: this test flushes by hand
    for _ in range(8):
        recorder.add("feedback", {"slug": PUBLIC_SLUG, "helpful": True, "reason": None})
    assert recorder.lost == 3
    recorder.flush()
    assert recorder.written == 5


# -- the database ---------------------------------------------------------------------------


def test_records_older_than_the_retention_period_are_deleted(analytics_url):
    today = dt.date(2026, 12, 5)
    store = EventStore(analytics_url)
    recorder = Recorder(store, retention_days=90, today=lambda: today)
    for age in (0, 89, 90, 91, 400):
        store.write({"feedback": [{"day": today - dt.timedelta(days=age), "slug": PUBLIC_SLUG, "helpful": True, "reason": None}]})
    recorder.forget_old()
    with store.connect() as connection:
        kept = sorted((today - day).days for (day,) in connection.execute(sa.select(TABLES["feedback"].c.day)))
    store.dispose()
    assert kept == [0, 89, 90]


def test_the_migrations_make_exactly_the_tables_the_code_uses(analytics_url):
    store = EventStore(analytics_url)
    with store.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
        version = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    store.dispose()
    assert differences == []
    assert version == "0001"


def test_migrating_twice_changes_nothing(analytics_url):
    for _ in range(2):
        store = EventStore(analytics_url)
        store.migrate()
        store.dispose()
