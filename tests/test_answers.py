"""The answer cache: bounded, per index version, per audience; the API serves repeats from it and new versions fresh."""
from __future__ import annotations

import os

from conftest import build, make_app
from kb.answers import AnswerCache


def counting(value):
    calls = []

    def build_value():
        calls.append(1)
        return value

    return build_value, calls


def test_a_repeated_request_is_built_once():
    cache = AnswerCache(8)
    build_value, calls = counting("answer")
    assert cache.get("v1", "public", ("search", "cost"), build_value) == "answer"
    assert cache.get("v1", "public", ("search", "cost"), build_value) == "answer"
    assert len(calls) == 1 and (cache.hits, cache.misses) == (1, 1)


def test_audiences_never_share_an_answer():
    cache = AnswerCache(8)
    cache.get("v1", "staff", "cost", lambda: "with staff articles")
    assert cache.get("v1", "public", "cost", lambda: "public only") == "public only"


def test_a_new_index_version_empties_the_cache():
    cache = AnswerCache(8)
    cache.get("v1", "public", "cost", lambda: "old")
    assert cache.get("v2", "public", "cost", lambda: "new") == "new"
    assert len(cache) == 1
    # A late request still reading v1 never gets or leaves an answer that v2 would serve.
    assert cache.get("v1", "public", "cost", lambda: "old again") == "old again"
    assert cache.get("v2", "public", "cost", lambda: "rebuilt") == "rebuilt"


def test_the_least_recently_used_answer_goes_first_when_full():
    cache = AnswerCache(2)
    cache.get("v1", "public", "a", lambda: "A")
    cache.get("v1", "public", "b", lambda: "B")
    cache.get("v1", "public", "a", lambda: "A again")  # a is now the most recent
    cache.get("v1", "public", "c", lambda: "C")
    assert len(cache) == 2
    assert cache.get("v1", "public", "a", lambda: "rebuilt") == "A"
    assert cache.get("v1", "public", "b", lambda: "rebuilt") == "rebuilt"


def test_size_zero_turns_the_cache_off():
    cache = AnswerCache(0)
    build_value, calls = counting("x")
    cache.get("v1", "public", "k", build_value)
    cache.get("v1", "public", "k", build_value)
    assert len(calls) == 2 and len(cache) == 0


def test_the_api_answers_repeats_from_the_cache_and_a_rebuilt_index_freshly(articles_copy, tmp_path):
    index = tmp_path / "index"
    build(articles_copy, index)
    app = make_app(articles_copy, index, tmp_path / "instance")
    try:
        client = app.test_client()
        answers = app.extensions["kb.answers"]
        first = client.get("/api/v1/search?q=zanzibar")
        again = client.get("/api/v1/search?q=%20zanzibar%20")  # the same search, trimmed
        assert first.get_json() == again.get_json() and answers.hits == 1
        assert first.headers["Content-Type"] == "application/json"
        (articles_copy / "zanzibar-clinic-hours.md").write_text(
            "---\ntitle: Zanzibar opening hours\nsummary: When the Zanzibar rooms are open.\n---\nZanzibar rooms.\n"
        )
        build(articles_copy, index)
        fresh = client.get("/api/v1/search?q=zanzibar").get_json()
        assert fresh["total"] == first.get_json()["total"] + 1
        assert "zanzibar-clinic-hours" in [hit["slug"] for hit in fresh["hits"]]
    finally:
        app.extensions["kb.search"].close()


def test_the_cache_size_is_a_setting(built_index, tmp_path):
    from conftest import FIXTURES

    app = make_app(FIXTURES, built_index, tmp_path / "instance", ANSWER_CACHE_SIZE="0")
    try:
        client = app.test_client()
        client.get("/api/v1/search?q=cost")
        client.get("/api/v1/search?q=cost")
        assert app.extensions["kb.answers"].hits == 0
    finally:
        app.extensions["kb.search"].close()


def test_an_answer_found_after_the_version_changed_is_not_kept():
    cache = AnswerCache(8)
    assert cache.find("v1", "public", "cost") is None
    cache.find("v2", "public", "other")  # a request on the new version arrives meanwhile
    cache.keep("v1", "public", "cost", "old")
    assert cache.find("v2", "public", "cost") is None and len(cache) == 0


def test_a_repeat_as_sent_is_answered_without_checking_its_parameters_again(client, app, monkeypatch):
    import kb.api

    checked = []
    real = kb.api.parse_request
    monkeypatch.setattr(kb.api, "parse_request", lambda *args, **kw: checked.append(1) or real(*args, **kw))
    first = client.get("/api/v1/search?q=cost&per_page=5")
    again = client.get("/api/v1/search?q=cost&per_page=5")
    assert first.data == again.data and first.headers["ETag"] == again.headers["ETag"]
    assert len(checked) == 1
    # Sent differently, it is checked, then found under its normalized parameters: same answer and ETag.
    other = client.get("/api/v1/search?per_page=5&q=%20cost")
    assert len(checked) == 2 and other.data == first.data and other.headers["ETag"] == first.headers["ETag"]


def test_a_bad_request_is_never_kept(client, app):
    for _ in range(2):
        response = client.get("/api/v1/search?q=cost&per_page=0")
        assert response.status_code == 400 and response.get_json()["error"]["param"] == "per_page"
    assert len(app.extensions["kb.answers"]) == 0


def test_suggestions_repeat_the_prefix_as_typed(client):
    assert client.get("/api/v1/suggest?q=mic").get_json()["query"] == "mic"
    upper = client.get("/api/v1/suggest?q=MIC").get_json()
    assert upper["query"] == "MIC"
    assert upper["suggestions"] == client.get("/api/v1/suggest?q=mic").get_json()["suggestions"]


def test_the_cache_keeps_as_many_answers_as_its_size_however_they_were_sent(built_index, tmp_path):
    from conftest import FIXTURES

    app = make_app(FIXTURES, built_index, tmp_path / "instance", ANSWER_CACHE_SIZE="2")
    try:
        client = app.test_client()
        answers = app.extensions["kb.answers"]
        client.get("/api/v1/search?q=cost")
        client.get("/api/v1/search?q=scars")
        assert len(answers) == 2
        client.get("/api/v1/search?q=cost")  # its alias (as sent) and its answer are both still kept
        assert (answers.hits, answers.misses) == (1, 2)
    finally:
        app.extensions["kb.search"].close()


def test_an_alias_finds_its_answer_only_while_the_answer_is_kept():
    cache = AnswerCache(1)
    cache.get("v1", "public", "cost", lambda: "answer")
    cache.alias("v1", "public", "?q=Cost", "cost")
    assert cache.find_alias("v1", "public", "?q=Cost") == "answer"
    cache.get("v1", "public", "scars", lambda: "other")  # the cache holds one answer: "cost" goes
    assert cache.find_alias("v1", "public", "?q=Cost") is None
    cache.alias("v1", "public", "?q=gone", "cost")  # no alias for an answer not kept
    cache.get("v1", "public", "cost", lambda: "answer again")
    assert cache.find_alias("v1", "public", "?q=gone") is None


def test_aliases_belong_to_their_audience_and_version():
    cache = AnswerCache(8)
    cache.get("v1", "staff", "cost", lambda: "with staff articles")
    cache.alias("v1", "staff", "?q=cost", "cost")
    assert cache.find_alias("v1", "public", "?q=cost") is None
    assert cache.find_alias("v1", "staff", "?q=cost") == "with staff articles"
    assert cache.find_alias("v2", "staff", "?q=cost") is None
    cache.get("v2", "staff", "cost", lambda: "new")
    assert cache.find_alias("v2", "staff", "?q=cost") is None  # the new version starts without aliases


ANSWERS_IN_A_WORKER = """
import sys
from kb import create_app
app = create_app({"ARTICLES_DIR": sys.argv[1], "INDEX_DIR": sys.argv[2], "INSTANCE_DIR": sys.argv[3]})
client = app.test_client()
for path in sys.argv[4:]:
    response = client.get(path)
    sys.stdout.write(f"{response.status_code} {response.headers.get('ETag')} {response.data.decode()}")
app.extensions["kb.search"].close()
"""


def in_order(pairs: list) -> list:
    """A JSON object as its (key, value) pairs in the order written, but for the search's time."""
    return [(key, value) for key, value in pairs if key != "took_ms"]


def test_every_worker_answers_alike_under_the_same_etag(built_index, tmp_path):
    """An ETag names an answer: workers (processes with their own hash seeds, so their own set
    orders) must give each answer the same content, its keys written in the same order."""
    import json
    import subprocess
    import sys

    from conftest import FIXTURES, PROJECT

    paths = [
        "/api/v1/search?q=microneedling+cost&procedure=microneedling",
        "/api/v1/search?q=redness",
        "/api/v1/suggest?q=mic",
        "/api/v1/facets",
        "/api/v1/articles/what-is-microneedling",
    ]
    answers = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        run = subprocess.run(
            [sys.executable, "-c", ANSWERS_IN_A_WORKER, str(FIXTURES), str(built_index), str(tmp_path / "instance"), *paths],
            cwd=PROJECT, env=env, capture_output=True, text=True,
        )
        assert run.returncode == 0, run.stderr
        lines = run.stdout.splitlines()
        assert [line.split(" ", 1)[0] for line in lines] == ["200"] * len(paths)
        answers.append([(line.split(" ", 2)[1], json.loads(line.split(" ", 2)[2], object_pairs_hook=in_order)) for line in lines])
    assert answers[0] == answers[1]


def test_the_cache_stays_within_its_memory_whatever_the_answers_weigh(built_index, tmp_path, figures):
    """Fifty hits with snippets a time: the count allows thousands, the memory bound holds them to
    2 MB. The memory they really hold (tracemalloc, before and after the cache lets them go) is
    within the bound, and the cache was full (the measure is not blind)."""
    import gc
    import tracemalloc

    from conftest import FIXTURES

    budget = 2 * 2**20
    app = make_app(FIXTURES, built_index, tmp_path / "instance", ANSWER_CACHE_SIZE="100000", ANSWER_CACHE_MB="2", RATELIMIT_ENABLED=False)
    try:
        client = app.test_client()
        answers = app.extensions["kb.answers"]
        words = ["microneedling", "scars", "cost", "redness", "laser", "skin", "session", "acne", "pain", "needle"]
        queries = [f"{a} {b} {n}" for n in range(20) for a in words for b in words]  # 2,000 distinct
        client.get("/api/v1/search?q=warm&per_page=50")  # the engine's own first-use memory, outside the measure
        tracemalloc.start()
        try:
            for query in queries:
                assert client.get("/api/v1/search", query_string={"q": query, "per_page": "50"}).status_code == 200
            gc.collect()
            full = tracemalloc.get_traced_memory()[0]
            kept, reckoned = len(answers), answers.kept_bytes
            answers.find("another version", "public", "nothing")  # a new version empties the cache
            gc.collect()
            held = full - tracemalloc.get_traced_memory()[0]
        finally:
            tracemalloc.stop()
        assert reckoned <= budget and kept < len(queries)
        assert budget / 2 < held <= budget, (held, reckoned, kept)
        figures["answer cache: memory held with a 2 MB bound (bytes, answers kept of 2,000)"] = f"{held:,} ({kept})"
    finally:
        app.extensions["kb.search"].close()


def test_a_cached_answer_repeats_each_askers_own_words(client):
    """The query and its correction are echoed as this asker typed them, never as an earlier asker did."""
    first = client.get("/api/v1/search?q=Boxcar+scarrs").get_json()
    second = client.get("/api/v1/search?q=boxcar+scarrs").get_json()
    spaced = client.get("/api/v1/search?q=boxcar++scarrs").get_json()
    assert (first["query"], first["corrected"]) == ("Boxcar scarrs", "Boxcar scars")
    assert (second["query"], second["corrected"]) == ("boxcar scarrs", "boxcar scars")
    assert spaced["query"] == "boxcar  scarrs" and spaced["hits"] == second["hits"]
