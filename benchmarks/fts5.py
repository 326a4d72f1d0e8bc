"""The reference the speed benchmark measures us against: what a developer would write instead.

A small search service over SQLite FTS5 doing the same work as ours for one request:
bm25() ranking with the same field weights (as the table's rank), snippet() of the body, the total count, and
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
    title, summary, body, audience, slug UNINDEXED,
    tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE vocab USING fts5vocab(docs, 'row');
CREATE TABLE facets (doc INTEGER NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL);
CREATE INDEX facets_by_value ON facets (key, value, doc);
CREATE INDEX facets_by_doc ON facets (doc);
"""
#: bm25() weights of title, summary, body (the project's default field weights) and audience (not scored).
WEIGHTS = (2.0, 1.5, 1.0, 0.0)


def build(articles: Iterable[Article], path: Path) -> float:
    """Write the FTS5 database; returns the seconds it took."""
    started = time.perf_counter()
    path.unlink(missing_ok=True)
    db = sqlite3.connect(path)
    db.executescript(SCHEMA)
    with db:
        for rowid, article in enumerate(articles, start=1):
            db.execute(
                "INSERT INTO docs (rowid, title, summary, body, audience, slug) VALUES (?, ?, ?, ?, ?, ?)",
                (rowid, article.title, article.summary, article.text, article.audience, article.slug),
            )
            db.executemany(
                "INSERT INTO facets VALUES (?, ?, ?)",
                [(rowid, key, value) for key in FACET_KEYS for value in article.facets[key]],
            )
    # ORDER BY rank then means bm25() with the field weights, which FTS5 can compute as it goes.
    db.execute("INSERT INTO docs (docs, rank) VALUES ('rank', ?)", (f"bm25({', '.join(map(str, WEIGHTS))})",))
    db.execute("INSERT INTO docs (docs) VALUES ('optimize')")
    db.commit()
    db.close()
    return time.perf_counter() - started


def match_expression(text: str) -> str | None:
    """Free text as an FTS5 OR of quoted words over the text columns, public articles only.

    Quotes keep FTS5's query syntax out of user text; the audience is an indexed column
    because filtering an UNINDEXED one reads every matching row (5 ms for 2,000 matches).
    """
    words = list(dict.fromkeys(w.lower() for w in WORD.findall(text)))
    if not words:
        return None
    return "{title summary body} : (" + " OR ".join(f'"{w}"' for w in words) + ') AND audience : "public"'



class Fts5Search:
    def __init__(self, path: Path):
        self.db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        self.values = {key: [v for (v,) in self.db.execute("SELECT DISTINCT value FROM facets WHERE key = ? ORDER BY value", (key,))] for key in FACET_KEYS}

    def close(self) -> None:
        self.db.close()

    def search(self, q: str, filters: Mapping[str, Sequence[str]] | None = None, page: int = 1, per_page: int = 10) -> dict:
        """The matches are materialized once per statement; counts and the page are two statements."""
        started = time.perf_counter()
        filters = {k: list(v) for k, v in (filters or {}).items() if v}
        expression = match_expression(q)
        if expression is None:
            return {"query": q, "total": 0, "hits": [], "facets": {}, "took_ms": 0.0}
        params: dict[str, object] = {"q": expression, "limit": per_page, "offset": (page - 1) * per_page}
        for key, values in filters.items():
            params.update({f"{key}{i}": value for i, value in enumerate(values)})

        def selected(skip: str | None = None) -> str:
            """SQL restricting m.doc to every facet selection but `skip`'s (disjunctive counts)."""
            return "".join(
                f" AND m.doc IN (SELECT doc FROM facets WHERE key = '{key}' AND value IN "
                f"({', '.join(f':{key}{i}' for i in range(len(values)))}))"
                for key, values in filters.items() if key != skip
            )

        matches = "WITH m AS MATERIALIZED (SELECT rowid AS doc FROM docs WHERE docs MATCH :q) "
        counts_sql = " UNION ALL ".join(
            [f"SELECT '', '', count(*) FROM m WHERE 1{selected()}"]
            + [f"SELECT f.key, f.value, count(*) FROM m JOIN facets f ON f.doc = m.doc AND f.key = '{key}' WHERE 1{selected(key)} GROUP BY f.value"
               for key in FACET_KEYS]
        )
        rows = self.db.execute(matches + counts_sql, params).fetchall()
        total = rows[0][2]
        counts = {(key, value): count for key, value, count in rows[1:]}
        if filters:
            # Asking FTS5 for MATCH and rowid IN (facet subquery) at once makes SQLite run the
            # full-text query once per candidate row (140 ms a search): rank the matches, then filter.
            page_sql = (
                "WITH m AS MATERIALIZED (SELECT rowid AS doc, rank AS score FROM docs WHERE docs MATCH :q) "
                f"SELECT doc, score FROM m WHERE 1{selected()} ORDER BY score LIMIT :limit OFFSET :offset"
            )
        else:
            page_sql = "SELECT rowid, rank FROM docs WHERE docs MATCH :q ORDER BY rank LIMIT :limit OFFSET :offset"
        scores = dict(self.db.execute(page_sql, params).fetchall())
        marks = ", ".join("?" for _ in scores)
        rows = self.db.execute(
            f"SELECT rowid, slug, title, summary, snippet(docs, 2, '<mark>', '</mark>', ' … ', 24) FROM docs "
            f"WHERE docs MATCH ? AND rowid IN ({marks})",
            [expression, *scores],
        ).fetchall() if scores else []
        by_doc = {row[0]: row[1:] for row in rows}
        hits = [
            {"slug": slug, "title": title, "url": f"/articles/{slug}", "summary": summary, "snippet": snippet, "score": -scores[doc]}
            for doc in scores
            for slug, title, summary, snippet in [by_doc[doc]]
        ]
        facets = {
            key: [{"value": v, "count": counts.get((key, v), 0), "selected": v in filters.get(key, ())} for v in self.values[key]]
            for key in FACET_KEYS
        }
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
