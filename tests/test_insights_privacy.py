"""End to end through a real `kb serve`: 240 queries carrying personal details are searched in
the API and the visitors' page; after a clean stop (the workers write their queues as they
exit), none of the details is in the database, the CSV or the server's output."""
from __future__ import annotations

import urllib.parse
import urllib.request

import pytest
import sqlalchemy as sa

from conftest import FIXTURES
from helpers import kb, kb_env, running_server
from test_insights_scrub import generated_queries, leftovers


@pytest.mark.slow
def test_no_personal_detail_reaches_the_record_the_csv_or_the_logs(built_index, tmp_path):
    database = tmp_path / "insights.sqlite3"
    env = kb_env(
        FIXTURES, built_index, tmp_path / "instance",
        RATELIMIT_ENABLED="false", ANALYTICS_DATABASE_URL=f"sqlite:///{database}",
        # Only the exit can write: proves a worker's clean exit flushes its queue.
        ANALYTICS_FLUSH_SECONDS="3600", LOG_LEVEL="DEBUG",
    )
    queries = generated_queries()
    with running_server(env, workers=2) as server:
        for n, (query, _) in enumerate(queries):
            path = "/api/v1/search" if n % 2 else "/"
            with urllib.request.urlopen(f"{server.url}{path}?{urllib.parse.urlencode({'q': query})}") as answer:
                assert answer.status == 200
    engine = sa.create_engine(f"sqlite:///{database}")
    with engine.connect() as connection:
        stored = [row[0] for row in connection.execute(sa.text("SELECT query FROM searches"))]
        unmatched = [row[0] for row in connection.execute(sa.text("SELECT unmatched FROM searches"))]
    engine.dispose()
    assert len(stored) == len(queries)
    csv_text = kb(["insights", "--csv", "--days", "1"], env).stdout
    log = "".join(server.output)
    assert "GET /api/v1/search HTTP/1.1" in log  # the access log is there, without the query string
    places = {"database": "\n".join(stored + unmatched).lower(), "csv": csv_text.lower()}
    found = [(where, query) for query, secret in queries for where, text in places.items() if any(p in text for p in leftovers(secret))]
    # The log holds times, sizes and process ids, so its digits are no evidence: the detail as
    # typed, as the URL carried it, and an e-mail's name must not be there.
    in_log = [query for query, secret in queries if any(form in log.lower() for form in as_sent(secret))]
    assert found == [] and in_log == []
    assert "[phone]" in places["csv"] and "[email]" in places["csv"] and "[date]" in places["csv"]


def as_sent(secret: str) -> list[str]:
    forms = [secret.lower(), urllib.parse.quote_plus(secret).lower(), urllib.parse.quote(secret).lower()]
    if "@" in secret:
        forms.append(secret.split("@")[0].lower())
    return forms
