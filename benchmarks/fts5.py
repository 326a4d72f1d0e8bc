"""The reference the speed benchmark measures us against: what a developer would write instead.

A small search service over SQLite FTS5 doing the same work as ours for one request:
bm25() ranking with the same field weights, snippet() of the body, the total count, and
disjunctive facet counts by SQL, for the public audience; prefix completions from the
fts5vocab table. `Fts5Search` is the engine (measured in process); `create_app()` wraps it
in Flask with the same JSON shape, for gunicorn:

    KB_FTS5_DB=/tmp/ref.sqlite gunicorn 'benchmarks.fts5:create_app()'

It is a benchmark fixture, not part of the product.
"""
from __future__ import annotations

import os
import re
import sqlite3
import threading
import time
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from kb.articles import Article
from kb.taxonomy import FACET_KEYS

WORD = re.compile(r"\w+")
SCHEMA = """
CREATE VIRTUAL TABLE docs USING fts5(
    title, summary, body, slug UNINDEXED, audience UNINDEXED,
    tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE vocab USING fts5vocab(docs, 'row');
CREATE TABLE facets (doc INTEGER NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL);
CREATE INDEX facets_by_value ON facets (key, value, doc);
CREATE INDEX facets_by_doc ON facets (doc);
"""
#: bm25() weights of title, summary, body: the project's default field weights.
WEIGHTS = (2.0, 1.5, 1.0)


def build(articles: Iterable[Article], path: Path) -> float:
    """Write the FTS5 database; returns the seconds it took."""
    started = time.perf_counter()
    path.unlink(missing_ok=True)
    db = sqlite3.connect(path)
    db.executescript(SCHEMA)
    with db:
        for rowid, article in enumerate(articles, start=1):
            db.execute(
                "INSERT INTO docs (rowid, title, summary, body, slug, audience) VALUES (?, ?, ?, ?, ?, ?)",
                (rowid, article.title, article.summary, article.text, article.slug, article.audience),
            )
            db.executemany(
                "INSERT INTO facets VALUES (?, ?, ?)",
                [(rowid, key, value) for key in FACET_KEYS for value in article.facets[key]],
            )
    db.execute("INSERT INTO docs (docs) VALUES ('optimize')")
    db.commit()
    db.close()
    return time.perf_counter() - started


def match_expression(text: str) -> str | None:
    """Free text as an FTS5 OR of quoted words (quotes keep FTS5's query syntax out of it)."""
    words = list(dict.fromkeys(w.lower() for w in WORD.findall(text)))
    return " OR ".join(f'"{w}"' for w in words) if words else None


class Fts5Search:
    def __init__(self, path: Path):
        self.db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        self.values = {key: [v for (v,) in self.db.execute("SELECT DISTINCT value FROM facets WHERE key = ? ORDER BY value", (key,))] for key in FACET_KEYS}

    def close(self) -> None:
        self.db.close()

    def search(self, q: str, filters: Mapping[str, Sequence[str]] | None = None, page: int = 1, per_page: int = 10) -> dict:
        started = time.perf_counter()
        filters = {k: list(v) for k, v in (filters or {}).items() if v}
        expression = match_expression(q)
        if expression is None:
            return {"query": q, "total": 0, "hits": [], "facets": {}, "took_ms": 0.0}
        matched = "SELECT rowid AS doc FROM docs WHERE docs MATCH :q AND audience = 'public'"
        params: dict[str, object] = {"q": expression}

        def selections(skip: str | None) -> str:
            clauses = []
            for key, values in filters.items():
                if key == skip:
                    continue
                names = []
                for i, value in enumerate(values):
                    params[f"{key}{i}"] = value
                    names.append(f":{key}{i}")
                clauses.append(f" AND doc IN (SELECT doc FROM facets WHERE key = '{key}' AND value IN ({', '.join(names)}))")
            return "".join(clauses)

        final = f"SELECT doc FROM ({matched}) WHERE 1{selections(None)}"
        w_title, w_summary, w_body = WEIGHTS
        hits = [
            {"slug": slug, "title": title, "url": f"/articles/{slug}", "summary": summary, "snippet": snippet, "score": -score}
            for slug, title, summary, snippet, score in self.db.execute(
                f"SELECT slug, title, summary, snippet(docs, 2, '<mark>', '</mark>', ' … ', 24), "
                f"bm25(docs, {w_title}, {w_summary}, {w_body}) AS score FROM docs "
                f"WHERE docs MATCH :q AND rowid IN ({final}) ORDER BY score LIMIT :limit OFFSET :offset",
                {**params, "limit": per_page, "offset": (page - 1) * per_page},
            )
        ]
        (total,) = self.db.execute(f"SELECT count(*) FROM ({final})", params).fetchone()
        facets = {}
        for key in FACET_KEYS:
            counts = dict(
                self.db.execute(
                    f"SELECT value, count(*) FROM facets WHERE key = '{key}' AND doc IN "
                    f"(SELECT doc FROM ({matched}) WHERE 1{selections(key)}) GROUP BY value",
                    params,
                ).fetchall()
            )
            facets[key] = [{"value": v, "count": counts.get(v, 0), "selected": v in filters.get(key, ())} for v in self.values[key]]
        return {"query": q, "total": total, "hits": hits, "facets": facets, "took_ms": round((time.perf_counter() - started) * 1000, 2)}

    def suggest(self, prefix: str, limit: int = 8) -> list[dict]:
        words = prefix.lower().split()
        if not words:
            return []
        last = words[-1]
        rows = self.db.execute(
            "SELECT term FROM vocab WHERE term >= ? AND term < ? ORDER BY doc DESC LIMIT ?", (last, last + "\uffff", limit)
        ).fetchall()
        return [{"text": term, "kind": "term"} for (term,) in rows]


def create_app():
    """The reference as a Flask service: /api/v1/search, /api/v1/suggest, and /trivial (the HTTP layer's ceiling)."""
    from flask import Flask, jsonify, request

    app = Flask(__name__)
    path = Path(os.environ["KB_FTS5_DB"])
    local = threading.local()

    def engine() -> Fts5Search:
        # One connection per worker thread, opened after gunicorn forks.
        if getattr(local, "engine", None) is None:
            local.engine = Fts5Search(path)
        return local.engine

    @app.get("/api/v1/search")
    def search():
        filters = {key: request.args.getlist(key) for key in FACET_KEYS}
        page = int(request.args.get("page", 1))
        per_page = int(request.args.get("per_page", 10))
        return jsonify(engine().search(request.args.get("q", ""), filters, page, per_page))

    @app.get("/api/v1/suggest")
    def suggest():
        q = request.args.get("q", "")
        return jsonify({"query": q, "suggestions": engine().suggest(q)})

    @app.get("/trivial")
    def trivial():
        return jsonify({"ok": True})

    return app
