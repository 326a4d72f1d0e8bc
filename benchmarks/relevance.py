"""Relevance on a BEIR collection (NFCorpus by default) and on the clinic's judged questions.

    .venv/bin/python benchmarks/relevance.py [--data ../shared/data/nfcorpus] [--split dev|test|both]
                                             [--set NAME=VALUE ...] [--no-record]

Every document becomes an article indexed by the project's own indexer; every query's raw text
goes through `Engine.search`, the function behind the API (top 10 for nDCG@10, five pages of 50
for recall@100). Prints nDCG@10 and recall@100 beside the published BM25 figures, and the
clinic's questions (nDCG@10, answered in the top 3). Settings are the app's KB_RANK_* settings
(`--set RANK_K1=0.9`), so a candidate is measured exactly as it would run. Choose on `dev`;
report `test` once for the chosen defaults. The collection is research data and never shipped:
without it the script says so and exits.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import beir, clinic, metrics, report  # noqa: E402
from kb.folder import load_folder  # noqa: E402
from kb.index import IndexStore, update_index  # noqa: E402
from kb.ranking import Ranking  # noqa: E402
from kb.engine import Engine  # noqa: E402
from kb.settings import DEFAULTS  # noqa: E402
from kb.taxonomy import load_taxonomy  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "nfcorpus"
#: Published BM25 on NFCorpus test: BEIR (Thakur et al. 2021, Table 2; nDCG@10 only) and Anserini's
#: multifield regression (title and text fields, equal weights; docs/regressions of castorini/anserini).
PUBLISHED = {"BEIR BM25 (Table 2)": (0.325, None), "Anserini BM25 multifield": (0.3254, 0.2500)}


def evaluate_collection(collection: beir.Collection, workdir: Path, ranking: Ranking) -> dict[str, float]:
    engine = beir.open_engine(workdir, ranking)
    try:
        ndcg, recall, times = [], [], []
        for qid, text in collection.queries.items():
            ranked, elapsed = beir.rank(engine, collection, text, depth=100)
            ndcg.append(metrics.ndcg_at(10, ranked, collection.judged[qid]))
            recall.append(metrics.recall_at(100, ranked, collection.judged[qid]))
            times.append(elapsed)
    finally:
        engine.close()
    return {"ndcg": metrics.mean(ndcg), "recall": metrics.mean(recall), "p50": statistics.median(times), "queries": len(ndcg)}


def evaluate_clinic(ranking: Ranking) -> tuple[float, int, int, list[str]]:
    """The clinic's questions on the clinic's articles: nDCG@10, answered in top 3, total, the misses."""
    articles = ROOT / "articles"
    taxonomy = load_taxonomy(articles / "taxonomy.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        store = IndexStore(tmp)
        update_index(store, load_folder(articles, taxonomy), taxonomy, full=True)
        engine = Engine(store, store.current_name(), ranking)
        try:
            outcomes = clinic.run(engine, clinic.load_questions())
        finally:
            engine.close()
    ndcg, success = clinic.summary(outcomes)
    misses = [o.question.q for o in outcomes if not o.success]
    return ndcg, round(success * len(outcomes)), len(outcomes), misses


def parse_overrides(pairs: list[str]) -> dict[str, str]:
    settings = {}
    for pair in pairs:
        name, _, value = pair.partition("=")
        if name not in DEFAULTS or not name.startswith("RANK_"):
            raise SystemExit(f"--set {pair}: not a ranking setting (one of {', '.join(n for n in DEFAULTS if n.startswith('RANK_'))})")
        settings[name] = value
    return settings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--split", default="dev", choices=["dev", "test", "both"])
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--no-record", action="store_true", help="print only; do not update docs/benchmarks.md")
    args = parser.parse_args()
    settings = {**DEFAULTS, **parse_overrides(args.overrides)}
    ranking = Ranking.from_settings(settings)
    splits = ["dev", "test"] if args.split == "both" else [args.split]
    try:
        collections = {split: beir.load(args.data, split) for split in splits}
    except beir.DataMissing as missing:
        print(f"{missing}: nothing to measure.")
        return 0

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        docs = next(iter(collections.values())).docs
        build_seconds = beir.build(beir.Collection(docs, {}, {}), workdir)
        for split, collection in collections.items():
            result = evaluate_collection(collection, workdir, ranking)
            rows.append((f"kb search, NFCorpus {split} ({result['queries']} queries)", result["ndcg"], result["recall"], result["p50"]))
    if "test" in collections:
        rows += [(f"{name}, NFCorpus test", ndcg, recall, None) for name, (ndcg, recall) in PUBLISHED.items()]
    clinic_ndcg, answered, asked, misses = evaluate_clinic(ranking)

    header = "| run | nDCG@10 | recall@100 | p50 ms (first page) |\n|---|---|---|---|"
    lines = [
        f"| {name} | {ndcg:.4f} | {'' if recall is None else f'{recall:.4f}'} | {'' if p50 is None else f'{p50:.1f}'} |"
        for name, ndcg, recall, p50 in rows
    ]
    table = "\n".join([header, *lines])
    changed = {name: value for name, value in settings.items() if name.startswith("RANK_") and value != DEFAULTS[name]}
    print(f"{len(docs)} documents indexed in {build_seconds:.1f} s; ranking settings: {changed or 'defaults'}\n")
    print(table)
    print(f"\nClinic questions: nDCG@10 {clinic_ndcg:.4f}, answered in the top 3: {answered}/{asked}")
    for question in misses:
        print(f"  not in the top 3: {question}")
    if not args.no_record and not changed:
        report.record(
            f"Relevance on NFCorpus ({args.split})",
            f"Run {report.today()} with `.venv/bin/python benchmarks/relevance.py --split {args.split}` on "
            f"{report.describe_machine()}, default ranking settings, {len(docs)} documents.\n\n{table}\n\n"
            f"Clinic questions (tests/clinic_questions.yaml): nDCG@10 {clinic_ndcg:.4f}, "
            f"answered in the top 3: {answered}/{asked}.\n",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
