"""Search latency on NFCorpus: the project's full search path beside a plain Whoosh baseline.

    .venv/bin/python benchmarks/search_speed.py [--data ../shared/data/nfcorpus] [--split test] [--no-record]

Turns every NFCorpus document into an article (benchmarks/beir.py), builds the index with the
project's own indexer, and runs every query of the split's raw text through `Engine.search`
(top 10 with disjunctive facet counts, snippets and spelling correction: what the API does).
The baseline is bare Whoosh as WHOOSH-NOTES.md measured it: title and body, stemming, BM25F,
an OR query parser, top 10, nothing else. Prints a table and records it in docs/benchmarks.md.
The data is research data and is never shipped; when it is absent the script says so and exits.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
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

from benchmarks import beir, metrics, report  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "nfcorpus"


def run_project(collection: beir.Collection, workdir: Path):
    build = beir.build(collection, workdir)
    engine = beir.open_engine(workdir)
    times, scores = [], []
    try:
        for qid, text in collection.queries.items():
            ranking, elapsed = beir.rank(engine, collection, text)
            times.append(elapsed)
            scores.append(metrics.ndcg_at(10, ranking, collection.judged[qid]))
    finally:
        engine.close()
    return build, times, scores


def run_baseline(collection: beir.Collection, index_dir: Path):
    started = time.perf_counter()
    schema = Schema(id=ID(stored=True, unique=True), title=TEXT(analyzer=StemmingAnalyzer()), body=TEXT(analyzer=StemmingAnalyzer()))
    ix = whoosh_index.create_in(str(index_dir), schema)
    writer = ix.writer(limitmb=256)
    for doc in collection.docs:
        writer.add_document(id=doc["_id"], title=doc["title"], body=doc["text"])
    writer.commit()
    build = time.perf_counter() - started
    parser = MultifieldParser(["title", "body"], schema, group=OrGroup.factory(0.9))
    times, scores = [], []
    with ix.searcher() as searcher:
        for qid, text in collection.queries.items():
            started = time.perf_counter()
            ranking = [hit["id"] for hit in searcher.search(parser.parse(text), limit=10)]
            times.append((time.perf_counter() - started) * 1000)
            scores.append(metrics.ndcg_at(10, ranking, collection.judged[qid]))
    ix.close()
    return build, times, scores


def run_revision(revision: str, data: Path, split: str) -> str:
    """The `kb search` row of this same benchmark at another git revision, measured now on this machine."""
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "tree"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "--quiet", str(tree), revision], check=True)
        try:
            output = subprocess.run(
                [sys.executable, str(tree / "benchmarks" / "search_speed.py"), "--no-record", "--data", str(data), "--split", split],
                check=True, capture_output=True, text=True,
            ).stdout
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=True)
    row = next(line for line in output.splitlines() if line.startswith("| kb search"))
    cells = row.strip("|").split("|")
    return "| " + " | ".join([f"kb search at {revision[:12]}", *(cell.strip() for cell in cells[1:])]) + " |"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--split", default="test", choices=["test", "dev"])
    parser.add_argument("--no-record", action="store_true", help="print only; do not update docs/benchmarks.md")
    parser.add_argument("--against", metavar="REVISION", help="also measure the kb search path of this git revision, in this run")
    args = parser.parse_args()
    try:
        collection = beir.load(args.data, args.split)
    except beir.DataMissing as missing:
        print(f"{missing}: nothing to measure.")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        project = run_project(collection, tmp)
        (tmp / "plain").mkdir()
        baseline = run_baseline(collection, tmp / "plain")
    rows = [
        ("plain Whoosh (title+body, OR, top 10 only)", *baseline),
        ("kb search (facets, snippets, spelling, top 10)", *project),
    ]
    header = "| engine | nDCG@10 | p50 ms | p95 ms | p99 ms | build s |\n|---|---|---|---|---|---|"
    lines = [
        f"| {name} | {statistics.mean(scores):.3f} | {report.percentile(times, 50):.2f} | {report.percentile(times, 95):.2f} "
        f"| {report.percentile(times, 99):.2f} | {build:.1f} |"
        for name, build, times, scores in rows
    ]
    if args.against:
        lines.append(run_revision(args.against, args.data, args.split))
    table = "\n".join([header, *lines])
    ndocs, nqueries = len(collection.docs), len(collection.queries)
    print(f"NFCorpus {args.split} split: {ndocs} documents, {nqueries} queries; one process, one core\n")
    print(table)
    if not args.no_record:
        report.record(
            f"Search speed on NFCorpus ({args.split} split)",
            f"Run {report.today()} with `.venv/bin/python benchmarks/search_speed.py"
            + (f" --against {args.against}" if args.against else "")
            + f"` on {report.describe_machine()}, {ndocs} documents, {nqueries} queries, one process.\n\n{table}\n",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
