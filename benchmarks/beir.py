"""A BEIR-format collection (corpus.jsonl[.gz], queries.jsonl, qrels/<split>.tsv) as clinic articles.

Every document becomes a Markdown article (title; the first sentence as summary; the text as
body) indexed by the project's own indexer, so the benchmarks measure the production path.
"""
from __future__ import annotations

import gzip
import json
import re
import time
from dataclasses import dataclass
from pathlib import Path

from kb.folder import load_folder
from kb.index import IndexStore, update_index
from kb.ranking import Ranking
from kb.engine import Engine
from kb.parameters import parse_request
from kb.taxonomy import load_taxonomy

#: One value per facet: BEIR collections have no facets, but the search still counts them.
TAXONOMY = """facets:
  scar_type: {values: [{value: none, label: None}]}
  procedure: {values: [{value: none, label: None}]}
  side_effect: {values: [{value: none, label: None}]}
  cost: {currency: USD, bands: [{value: any, label: Any}]}
"""


@dataclass
class Collection:
    docs: list[dict]
    queries: dict[str, str]  # query id -> text, only the queries judged in the split
    judged: dict[str, dict[str, int]]  # query id -> document id -> grade

    def doc_id(self, slug: str) -> str:
        return self._by_slug[slug]

    def __post_init__(self):
        self._by_slug = {slug_of(doc["_id"]): doc["_id"] for doc in self.docs}


class DataMissing(Exception):
    pass


def load(data: Path, split: str) -> Collection:
    corpus = data / "corpus.jsonl.gz"
    if not corpus.exists():
        corpus = data / "corpus.jsonl"
    if not corpus.exists() or not (data / "qrels" / f"{split}.tsv").exists():
        raise DataMissing(f"no BEIR collection at {data} (corpus.jsonl[.gz], queries.jsonl, qrels/{split}.tsv); pass --data PATH")
    opener = gzip.open if corpus.suffix == ".gz" else open
    with opener(corpus, "rt", encoding="utf-8") as handle:
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
    return Collection(docs, queries, judged)


def slug_of(doc_id: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", doc_id.lower()).strip("-")


def write_articles(docs: list[dict], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "taxonomy.yaml").write_text(TAXONOMY)
    for doc in docs:
        # The first sentence is the summary and the rest the body, as in a clinic article whose
        # summary is not repeated in its body (repeating it would count that sentence twice).
        text = " ".join(doc["text"].split())
        first, _, rest = text.partition(". ") if ". " in text else (text, "", "")
        summary = (first + ("." if rest else "")) or doc["title"]
        front = {"title": doc["title"] or doc["_id"], "summary": summary}
        body = rest or text
        (folder / f"{slug_of(doc['_id'])}.md").write_text(
            "---\n" + "".join(f"{k}: {json.dumps(v)}\n" for k, v in front.items()) + "---\n" + body + "\n", encoding="utf-8"
        )


def build(collection: Collection, workdir: Path) -> float:
    """Write the articles and index them with the project's indexer; returns the build's seconds."""
    articles = workdir / "articles"
    write_articles(collection.docs, articles)
    taxonomy = load_taxonomy(articles / "taxonomy.yaml")
    started = time.perf_counter()
    update_index(IndexStore(workdir / "index"), load_folder(articles, taxonomy), taxonomy, full=True)
    return time.perf_counter() - started


def open_engine(workdir: Path, ranking: Ranking | None = None) -> Engine:
    store = IndexStore(workdir / "index")
    return Engine(store, store.current_name(), ranking or Ranking.from_settings())


def rank(engine: Engine, collection: Collection, text: str, depth: int = 10) -> tuple[list[str], float]:
    """The document ids the API would return for `text`, best first, and the first page's milliseconds.

    The first page (10 hits) is what a user waits for and is timed; deeper pages, for recall,
    are fetched the same way (50 a page, the API's maximum) and not timed.
    """
    started = time.perf_counter()
    first = engine.search(parse_request({"q": [text[:200]]}, engine.taxonomy), "public")
    elapsed = (time.perf_counter() - started) * 1000
    ranking = [collection.doc_id(hit["slug"]) for hit in first["hits"]]
    if depth > 10 and first["total"] > 10:
        ranking = []
        for page in range(1, depth // 50 + 1):
            request = parse_request({"q": [text[:200]], "per_page": ["50"], "page": [str(page)]}, engine.taxonomy)
            result = engine.search(request, "public")
            ranking += [collection.doc_id(hit["slug"]) for hit in result["hits"]]
            if page >= result["pages"]:
                break
    return ranking[:depth], elapsed
