"""The benchmark scripts run from a fresh clone: on a tiny BEIR collection, and without any data."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import PROJECT

DOCS = [
    {"_id": "MED-1", "title": "Statins and muscle pain", "text": "Statin drugs can cause muscle pain. It is common."},
    {"_id": "MED-2", "title": "Green tea", "text": "Green tea contains catechins. They are studied for heart health."},
    {"_id": "MED-3", "title": "Fibre intake", "text": "Dietary fibre lowers cholesterol. Oats are a source."},
]
QUERIES = [{"_id": "PLAIN-1", "text": "Do statins hurt muscles?"}, {"_id": "PLAIN-2", "text": "oats and cholesterol"}]
QRELS = "query-id\tcorpus-id\tscore\nPLAIN-1\tMED-1\t2\nPLAIN-2\tMED-3\t1\nPLAIN-2\tMED-2\t1\n"


@pytest.fixture
def tiny_collection(tmp_path):
    (tmp_path / "qrels").mkdir()
    (tmp_path / "corpus.jsonl").write_text("".join(json.dumps(d) + "\n" for d in DOCS))
    (tmp_path / "queries.jsonl").write_text("".join(json.dumps(q) + "\n" for q in QUERIES))
    (tmp_path / "qrels" / "dev.tsv").write_text(QRELS)
    (tmp_path / "qrels" / "test.tsv").write_text(QRELS)
    return tmp_path


def run(script: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(PROJECT / "benchmarks" / script), *args], capture_output=True, text=True,
                          cwd=PROJECT, timeout=300, check=False)


def test_relevance_benchmark_on_a_tiny_collection(tiny_collection):
    result = run("relevance.py", "--data", str(tiny_collection), "--split", "both", "--no-record")
    assert result.returncode == 0, result.stderr
    # PLAIN-1 finds MED-1 first (1.0); PLAIN-2 finds MED-3 first and MED-2 second or later.
    assert "| kb search, NFCorpus dev (2 queries) |" in result.stdout
    assert "| Anserini BM25 multifield, NFCorpus test | 0.3254 | 0.2500 |  |" in result.stdout
    assert "Clinic questions: nDCG@10" in result.stdout


def test_relevance_benchmark_measures_a_candidate_setting(tiny_collection):
    result = run("relevance.py", "--data", str(tiny_collection), "--set", "RANK_K1=0.9", "--no-record")
    assert result.returncode == 0 and "'RANK_K1': '0.9'" in result.stdout
    refused = run("relevance.py", "--data", str(tiny_collection), "--set", "MAX_PAGE=3")
    assert refused.returncode != 0 and "not a ranking setting" in refused.stderr


@pytest.mark.parametrize("script", ["relevance.py", "search_speed.py"])
def test_benchmarks_say_clearly_when_the_data_is_absent(tmp_path, script):
    result = run(script, "--data", str(tmp_path / "nowhere"), "--no-record")
    assert result.returncode == 0
    assert f"no BEIR collection at {tmp_path / 'nowhere'}" in result.stdout


@pytest.mark.slow
def test_speed_benchmark_runs_on_a_tiny_collection_and_a_small_clinic_corpus(tiny_collection):
    result = run("speed.py", "--data", str(tiny_collection), "--clinic-size", "60", "--no-http", "--no-record")
    assert result.returncode == 0, result.stderr
    for row in ("| NFCorpus: kb search |", "| NFCorpus: FTS5 reference |", "| clinic 60: kb search |", "| clinic suggest: kb |",
                "| clinic: one-article incremental update, in process (check folder, parse, index) s |",
                "| clinic: one-article incremental update, whole `kb index` command s |"):
        assert row in result.stdout, row


@pytest.mark.slow
def test_speed_benchmark_without_nfcorpus_still_measures_the_clinic_corpus(tmp_path):
    result = run("speed.py", "--data", str(tmp_path / "nowhere"), "--clinic-size", "30", "--no-http", "--no-record")
    assert result.returncode == 0, result.stderr
    assert "NFCorpus rows left out" in result.stdout and "| clinic 30: kb search |" in result.stdout


def test_the_fts5_reference_does_the_same_work_for_the_public(tmp_path):
    from benchmarks import fts5
    from conftest import FIXTURES
    from kb.folder import load_folder
    from kb.taxonomy import load_taxonomy

    loaded = load_folder(FIXTURES, load_taxonomy(FIXTURES / "taxonomy.yaml"))
    staff = {a.slug for a in loaded.articles if a.audience == "staff"}
    assert staff, "the fixtures need a staff article for this test to mean anything"
    fts5.build(loaded.articles, tmp_path / "ref.sqlite")
    reference = fts5.Fts5Search(tmp_path / "ref.sqlite")
    try:
        everything = reference.search("microneedling scars cost sessions", per_page=50)
        assert everything["total"] == len(everything["hits"]) > 0
        assert not staff & {hit["slug"] for hit in everything["hits"]}
        assert any("<mark>" in hit["snippet"] for hit in everything["hits"])
        procedure = {row["value"]: row["count"] for row in everything["facets"]["procedure"]}
        value = max(procedure, key=procedure.get)
        filtered = reference.search("microneedling scars cost sessions", {"procedure": [value]}, per_page=50)
        assert filtered["total"] == procedure[value] == len(filtered["hits"])
        # Disjunctive: the filtered facet's own counts ignore its own selection.
        assert {row["value"]: row["count"] for row in filtered["facets"]["procedure"]} == procedure
        assert reference.search("   ")["total"] == 0
        assert reference.suggest("micro")[0]["text"].startswith("micro")
    finally:
        reference.close()


def test_turns_of_a_load_run_combine_by_their_requests():
    from benchmarks.speed import combined

    quick = {"requests": 90, "seconds": 0.5, "errors": 0, "status": 1, "quantiles": [1.0] * 9}
    slow = {"requests": 270, "seconds": 2.5, "errors": 2, "status": 0, "quantiles": [2.0] * 8 + [9.0]}
    whole = combined([quick, slow])
    assert whole["rps"] == 120 and whole["errors"] == 3
    # A quarter of the requests took 1 ms, the rest 2 ms but for their slowest ninth (9 ms).
    assert (whole["p50"], whole["p95"], whole["p99"]) == (2.0, 9.0, 9.0)
    assert combined([quick, {**quick, "quantiles": [3.0] * 9}])["p50"] == 1.0
    assert whole["turns"] == [180, 108]


def test_the_share_of_trivial_per_turn_is_the_median_of_the_paired_turns():
    from benchmarks.speed import median_share

    # The trivial endpoint stalled in its second turn: the whole runs' ratio is 78% (1,800 / 2,300).
    assert median_share([600, 620, 580], [1000, 300, 1000]) == 0.6
    assert median_share([500, 700], [1000, 1000]) == 0.6


def test_the_warm_up_never_asks_the_measured_mixs_unique_queries():
    from benchmarks.speed import mix_and_warm_up

    head = [f"popular {n}" for n in range(20)]
    unique = [f"unique {n}" for n in range(2000)]
    mix, warm_up = mix_and_warm_up(head, unique, {"procedure": ["microneedling"]}, count=1000)
    asked = {path.split("?q=")[1].split("&")[0] for path in mix if "/search" in path}
    warmed = {path.split("?q=")[1].split("&")[0] for path in warm_up if "/search" in path}
    popular = {path for path in asked if path.startswith("popular")}
    assert popular and popular & warmed  # the warm-up fills the caches of the popular searches
    assert len(asked - popular) > 150 and not (asked - popular) & warmed
