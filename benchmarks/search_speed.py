"""Search latency on NFCorpus: the project's full search path beside a plain Whoosh baseline.

    .venv/bin/python benchmarks/search_speed.py [--data ../shared/data/nfcorpus] [--split test]

Turns every NFCorpus document into an article (title, first sentence as summary, abstract as
body), builds the index with the project's own indexer, and runs every query of the split's
raw text through `Engine.search` (top 10 with disjunctive facet counts, snippets and spelling
correction: what the API does). The baseline is bare Whoosh as WHOOSH-NOTES.md measured it:
title and body, stemming, BM25F, an OR query parser, top 10, nothing else. Prints a table and
records it in docs/benchmarks.md. The data is research data and is never shipped; when it is
absent the script says so and exits.
"""
from __future__ import annotations

import argparse
import gzip
import json
import math
import platform
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from whoosh import index as whoosh_index  # noqa: E402
from whoosh.analysis import StemmingAnalyzer  # noqa: E402
from whoosh.fields import ID, TEXT, Schema  # noqa: E402
from whoosh.qparser import MultifieldParser, OrGroup  # noqa: E402

from kb.articles import load_folder  # noqa: E402
from kb.index import IndexStore, update_index  # noqa: E402
from kb.search import Engine, parse_request  # noqa: E402
from kb.taxonomy import load_taxonomy  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "nfcorpus"
RESULTS = ROOT / "docs" / "benchmarks.md"
#: A taxonomy with one value per facet: NFCorpus has no facets, but the search still counts them.
BENCH_TAXONOMY = """facets:
  scar_type: {values: [{value: none, label: None}]}
  procedure: {values: [{value: none, label: None}]}
  side_effect: {values: [{value: none, label: None}]}
  cost: {currency: USD, bands: [{value: any, label: Any}]}
"""


def load_collection(data: Path, split: str):
    with gzip.open(data / "corpus.jsonl.gz", "rt", encoding="utf-8") as handle:
        docs = [json.loads(line) for line in handle]
    judged: dict[str, dict[str, int]] = {}
    for line in (data / "qrels" / f"{split}.tsv").read_text().splitlines()[1:]:
        qid, did, score = line.split("\t")
        judged.setdefault(qid, {})[did] = int(score)
    queries = {}
    for line in (data / "queries.jsonl").read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        if item["_id"] in judged:
            queries[item["_id"]] = item["text"]
    return docs, queries, judged


def slug_of(doc_id: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", doc_id.lower()).strip("-")


def write_articles(docs, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "taxonomy.yaml").write_text(BENCH_TAXONOMY)
    for doc in docs:
        text = doc["text"].strip()
        summary = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0][:300] or doc["title"]
        front = {"title": doc["title"] or doc["_id"], "summary": summary}
        body = text.replace("\n", " ")
        (folder / f"{slug_of(doc['_id'])}.md").write_text(
            "---\n" + "".join(f"{k}: {json.dumps(v)}\n" for k, v in front.items()) + "---\n" + body + "\n", encoding="utf-8"
        )


def ndcg_at_10(ranking: list[str], judgments: dict[str, int]) -> float:
    gains = [judgments.get(doc, 0) for doc in ranking[:10]]
    dcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(gains))
    ideal = sorted(judgments.values(), reverse=True)[:10]
    idcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def run_project(articles: Path, index_dir: Path, queries, judged, by_slug):
    taxonomy = load_taxonomy(articles / "taxonomy.yaml")
    started = time.perf_counter()
    loaded = load_folder(articles, taxonomy)
    update_index(IndexStore(index_dir), loaded, taxonomy, full=True)
    build = time.perf_counter() - started
    engine = Engine(IndexStore(index_dir), IndexStore(index_dir).current_name())
    times, scores = [], []
    for qid, text in queries.items():
        request = parse_request({"q": [text[:200]]}, engine.taxonomy)
        started = time.perf_counter()
        result = engine.search(request, "public")
        times.append((time.perf_counter() - started) * 1000)
        scores.append(ndcg_at_10([by_slug[h["slug"]] for h in result["hits"]], judged[qid]))
    engine.close()
    return build, times, scores


def run_baseline(docs, index_dir: Path, queries, judged):
    started = time.perf_counter()
    schema = Schema(id=ID(stored=True, unique=True), title=TEXT(analyzer=StemmingAnalyzer()), body=TEXT(analyzer=StemmingAnalyzer()))
    ix = whoosh_index.create_in(str(index_dir), schema)
    writer = ix.writer(limitmb=256)
    for doc in docs:
        writer.add_document(id=doc["_id"], title=doc["title"], body=doc["text"])
    writer.commit()
    build = time.perf_counter() - started
    parser = MultifieldParser(["title", "body"], schema, group=OrGroup.factory(0.9))
    times, scores = [], []
    with ix.searcher() as searcher:
        for qid, text in queries.items():
            started = time.perf_counter()
            hits = searcher.search(parser.parse(text), limit=10)
            ranking = [hit["id"] for hit in hits]
            times.append((time.perf_counter() - started) * 1000)
            scores.append(ndcg_at_10(ranking, judged[qid]))
    return build, times, scores


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--split", default="test", choices=["test", "dev"])
    parser.add_argument("--no-record", action="store_true", help="print only; do not update docs/benchmarks.md")
    args = parser.parse_args()
    if not (args.data / "corpus.jsonl.gz").exists():
        print(f"NFCorpus not found at {args.data}: nothing to measure (pass --data PATH).")
        return 0
    docs, queries, judged = load_collection(args.data, args.split)
    by_slug = {slug_of(d["_id"]): d["_id"] for d in docs}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        write_articles(docs, tmp / "articles")
        project = run_project(tmp / "articles", tmp / "index", queries, judged, by_slug)
        (tmp / "plain").mkdir()
        baseline = run_baseline(docs, tmp / "plain", queries, judged)
    rows = [
        ("plain Whoosh (title+body, OR, top 10 only)", *baseline),
        ("kb search (facets, snippets, spelling, top 10)", *project),
    ]
    header = "| engine | nDCG@10 | p50 ms | p95 ms | p99 ms | build s |\n|---|---|---|---|---|---|"
    lines = [
        f"| {name} | {statistics.mean(scores):.3f} | {percentile(times, 50):.2f} | {percentile(times, 95):.2f} "
        f"| {percentile(times, 99):.2f} | {build:.1f} |"
        for name, build, times, scores in rows
    ]
    table = "\n".join([header, *lines])
    machine = describe_machine()
    print(f"NFCorpus {args.split} split: {len(docs)} documents, {len(queries)} queries; one process, one core\n")
    print(table)
    if not args.no_record:
        record(table, machine, args.split, len(docs), len(queries))
    return 0


def describe_machine() -> str:
    cpu = platform.machine()
    try:
        names = [line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")]
        cpu = f"{names[0]}, {len(names)} cores" if names else cpu
    except OSError:
        pass
    return f"{cpu}, {platform.system()}, {platform.python_implementation()} {platform.python_version()}"


def record(table: str, machine: str, split: str, ndocs: int, nqueries: int) -> None:
    section = (
        f"## Search speed on NFCorpus ({split} split)\n\n"
        f"Run {time.strftime('%Y-%m-%d')} with `.venv/bin/python benchmarks/search_speed.py` on {machine}, "
        f"{ndocs} documents, {nqueries} queries, one process.\n\n{table}\n"
    )
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmarks\n\n"
    marker = "## Search speed on NFCorpus"
    if marker in text:
        start = text.index(marker)
        end = text.find("\n## ", start + 1)
        text = text[:start] + section + (text[end + 1:] if end != -1 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(text)


if __name__ == "__main__":
    sys.exit(main())
