"""`kb index --full` ten times while a three-worker gunicorn answers a steady stream of searches.

Every answer must be a 200, self-consistent (no duplicate hits; the total and the hits are exactly
those of one published version), and no answer that starts more than a second after a version
was published may come from an older one.
"""
from __future__ import annotations

import json
import shutil
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

import pytest

from conftest import FIXTURES
from helpers import kb, kb_env, running_server

pytestmark = pytest.mark.load

RUNS = 10
LOADERS = 4
SWITCH_SECONDS = 1.0
QUERIES = ["", "microneedling", "extra article", "laser", "cost of sessions"]


@dataclass
class Answer:
    started: float
    status: int | str
    version: str | None = None
    total: int = -1
    slugs: tuple[str, ...] = ()
    query: str = ""


def extra_article(number: int) -> str:
    return f"""---
title: Extra article {number}
summary: An extra article added by reindex run {number}.
procedure: [microneedling]
updated: 2026-11-01
sources: [001_7c306c35706ba94e.txt]
---
Extra article number {number} about microneedling sessions.
"""


def fetch(url: str, query: str) -> Answer:
    started = time.monotonic()
    full = f"{url}/api/v1/search?per_page=50&q={urllib.parse.quote(query)}"
    try:
        with urllib.request.urlopen(full, timeout=30) as response:
            body = json.load(response)
            return Answer(started, response.status, response.headers["KB-Index-Version"], body["total"],
                          tuple(hit["slug"] for hit in body["hits"]), query)
    except urllib.error.HTTPError as error:
        return Answer(started, error.code, query=query)
    except OSError as error:  # refused or reset connections count as failures too
        return Answer(started, type(error).__name__, query=query)


@pytest.fixture
def served(tmp_path):
    articles = tmp_path / "articles"
    shutil.copytree(FIXTURES, articles)
    env = kb_env(articles, tmp_path / "index", tmp_path / "instance", RATELIMIT_ENABLED="false")
    kb(["index"], env)
    with running_server(env, workers=3) as server:
        yield server, env, articles, tmp_path / "index"


def test_searches_never_fail_while_the_index_is_rebuilt_ten_times(served, figures):
    server, env, articles, index_dir = served
    answers: list[Answer] = []
    stop = threading.Event()

    def load(offset: int) -> None:
        mine = []
        n = offset
        while not stop.is_set():
            mine.append(fetch(server.url, QUERIES[n % len(QUERIES)]))
            n += 1
        answers.extend(mine)

    # Each published version's browse answer, and when its `kb index` had returned.
    published: list[tuple[str, float, frozenset[str]]] = []

    def browse_set() -> frozenset[str]:
        answer = fetch(server.url, "")
        return frozenset(answer.slugs)

    first = (index_dir / "current").readlink().name
    published.append((first, 0.0, browse_set()))
    loaders = [threading.Thread(target=load, args=(n,)) for n in range(LOADERS)]
    for thread in loaders:
        thread.start()
    try:
        for run in range(RUNS):
            (articles / f"extra-{run}.md").write_text(extra_article(run), encoding="utf-8")
            kb(["index", "--full"], env)
            version = (index_dir / "current").readlink().name
            published.append((version, time.monotonic(), frozenset()))
    finally:
        stop.set()
        for thread in loaders:
            thread.join()

    order = {version: position for position, (version, _, _) in enumerate(published)}
    assert len(order) == RUNS + 1
    failures = [a for a in answers if a.status != 200]
    assert failures == []
    base = published[0][2]
    for answer in answers:
        assert answer.version in order, answer.version
        assert len(set(answer.slugs)) == len(answer.slugs)  # no duplicate hits
        if answer.query == "":
            # Browsing lists every public article of that version: the fixtures and one extra per run so far.
            expected = base | {f"extra-{n}" for n in range(order[answer.version])}
            assert answer.total == len(expected) and set(answer.slugs) == expected
        assert answer.total >= len(answer.slugs)
    stale = []
    for version, committed, _ in published[1:]:
        older = [a for a in answers if order[a.version] < order[version] and a.started > committed + SWITCH_SECONDS]
        stale += older
    assert stale == []
    served_by = {version: sum(1 for a in answers if a.version == version) for version in order}
    assert sum(1 for count in served_by.values() if count) >= RUNS // 2  # the load really spanned the runs
    figures["reindex: full rebuilds under load"] = RUNS
    figures["reindex: requests answered during the rebuilds"] = len(answers)
    figures["reindex: failed or 5xx answers"] = len(failures)
    figures["reindex: answers from an older version over 1 s after a publish"] = len(stale)
