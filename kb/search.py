"""Search: user text -> Whoosh query, ranking, disjunctive facets, snippets, paging, spelling, completions.

Plain dicts out, no Flask. One `Engine` per index version holds the searcher and every
per-version structure (audience and facet document sets, completion lists); `SearchService`
swaps engines when `kb index` switches the current version.
"""
from __future__ import annotations

import decimal
import html
import logging
import math
import re
import threading
import time
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
from whoosh import classify
from whoosh.query import Term

from kb import docsets, scoring
from kb.analysis import SPELL_PATTERN, QueryAnalyzer, question_terms
from kb.completions import Completions
from kb.errors import BadParameter, IndexUnavailable, NotFound, QueryTooLong
from kb.index import SCHEMA_VERSION, IndexStore, Manifest
from kb.ranking import Ranking
from kb.snippets import snippets_html
from kb.spelling import Speller
from kb.taxonomy import FACET_KEYS, LISTED_FACETS, Taxonomy
from kb.texts import Texts
from kb.wordsets import word_counts

log = logging.getLogger(__name__)

SORTS = ("relevance", "updated", "title")
AUDIENCES = ("public", "staff")
PER_PAGE_DEFAULT, PER_PAGE_MAX = 10, 50
#: More-like-this: how many articles to offer, from how many of the article's most telling words.
SIMILAR_LIMIT, SIMILAR_TERMS = 4, 12
#: Misspellings are only corrected in words this long: 'cst' has too many plausible neighbours.
CORRECT_MIN_LENGTH = 4
SNIPPET_CHARS, SNIPPET_SURROUND, SNIPPET_FRAGMENTS = 220, 70, 2
#: Query clauses kept per index version (by term and weight); past this the memory starts again.
CLAUSES_KEPT = 50_000
SEARCH_PARAMS = ("q", "page", "per_page", "sort", *FACET_KEYS)


@dataclass(frozen=True)
class SearchRequest:
    q: str = ""
    filters: tuple[tuple[str, tuple[str, ...]], ...] = ()
    page: int = 1
    per_page: int = PER_PAGE_DEFAULT
    sort: str = "relevance"

    def selected(self, key: str) -> tuple[str, ...]:
        return dict(self.filters).get(key, ())

    def cache_key(self) -> tuple:
        return (" ".join(self.q.split()).casefold(), self.filters, self.page, self.per_page, self.sort)


def parse_request(
    params: Mapping[str, Sequence[str]], taxonomy: Taxonomy, *, max_query_length: int = 200, max_page: int = 100
) -> SearchRequest:
    """Check search parameters (name -> list of values) at the edge; every problem names its parameter."""
    for name in params:
        if name not in SEARCH_PARAMS:
            raise BadParameter(f"unknown parameter '{name}'; known: {', '.join(SEARCH_PARAMS)}", param=name)
    q = _single(params, "q") or ""
    if len(q) > max_query_length:
        raise QueryTooLong(f"q must be at most {max_query_length} characters", param="q")
    if any(ch in q for ch in "\x00"):
        raise BadParameter("q must not contain NUL characters", param="q")
    page = _integer(params, "page", 1, 1, max_page)
    per_page = _integer(params, "per_page", PER_PAGE_DEFAULT, 1, PER_PAGE_MAX)
    sort = _single(params, "sort") or "relevance"
    if sort not in SORTS:
        raise BadParameter(f"sort must be one of {', '.join(SORTS)}", param="sort")
    filters = []
    for key in FACET_KEYS:
        values = facet_values(params.get(key, ()), key, taxonomy)
        if values:
            filters.append((key, tuple(sorted(set(values)))))
    return SearchRequest(q=q.strip(), filters=tuple(filters), page=page, per_page=per_page, sort=sort)


def facet_values(values: Sequence[str], key: str, taxonomy: Taxonomy) -> list[str]:
    """The non-empty values given for facet `key`; an unknown one is a 400 that names the closest valid ones."""
    values = [value for value in values if value != ""]
    for value in values:
        if taxonomy.facet(key).get(value) is None:
            raise BadParameter(
                f"unknown {key} value '{value}'; closest valid values: {', '.join(taxonomy.closest(key, value))}",
                param=key,
            )
    return values


def _single(params, name) -> str | None:
    values = params.get(name) or []
    if len(values) > 1:
        raise BadParameter(f"{name} must be given once", param=name)
    return values[0] if values else None


def _integer(params, name, default, low, high) -> int:
    raw = _single(params, name)
    if raw is None or raw == "":
        return default
    # Whatever JSON Schema calls an integer is one: "3", and "3.0" or "3e0" as a generated client may write it.
    try:
        value = decimal.Decimal(raw)
    except decimal.InvalidOperation:
        value = None
    if value is None or not value.is_finite() or value != value.to_integral_value():
        raise BadParameter(f"{name} must be a whole number from {low} to {high}", param=name)
    if not low <= value <= high:
        raise BadParameter(f"{name} must be between {low} and {high}", param=name)
    return int(value)


class Engine:
    """Search over one index version. Opened per process (after a server forks), reused across requests.

    Per version it keeps, as NumPy arrays over document numbers: each audience's documents,
    each facet value's documents, the sort keys, and (filled as queries arrive) the scored
    postings of every word searched for. A search is then vector arithmetic; Whoosh reads
    the stored fields of the page, corrects spelling and finds similar articles.
    """

    def __init__(self, store: IndexStore, version: str, ranking: Ranking | None = None):
        self.version = version
        self.ranking = ranking or Ranking.from_settings()
        self.ix, self.taxonomy = store.open(version)
        self.searcher = self.ix.searcher(weighting=self.ranking.weighting())
        self.reader = self.searcher.reader()
        schema = self.ix.schema
        self.analyzer = schema["body"].analyzer
        self._query_analyzer = QueryAnalyzer(self.analyzer)
        self._clauses: dict[tuple[str, float], scoring.Clause] = {}
        self._question_words = question_terms(self.analyzer)
        self.spell_analyzer = schema["words"].analyzer
        self.postings = scoring.Postings(self.reader, self.ranking)
        self._doc_count = self.postings.doc_count
        self._audience = self._audiences()
        # What a hit shows, per document, read once: Whoosh takes 43 us to read one article's stored fields.
        self._cards = self._read_cards()
        self._texts = Texts(self.reader.column_reader("text"))
        # Where each term stands in each text, as the body field recorded it (kb/spans.py).
        self._spans = Texts(self.reader.column_reader("body"))
        # One row per facet value, in the taxonomy's order: counting is one vector operation per facet
        # (on the rows packed as bits).
        self._facet_values = {key: [v.value for v in self.taxonomy.facet(key).values] for key in FACET_KEYS}
        self._facet_labels = {key: [(v.value, v.label) for v in self.taxonomy.facet(key).values] for key in FACET_KEYS}
        self._facet_rows = {
            key: np.array([self._mask(Term(key, value)) for value in values], dtype=bool).reshape(len(values), self._doc_count)
            for key, values in self._facet_values.items()
        }
        # Every facet's packed rows in one matrix: one count over it serves all the facets that
        # share a base (all four when nothing is selected), a quarter of the calls.
        self._facet_bits = docsets.packed(np.concatenate([self._facet_rows[key] for key in FACET_KEYS]))
        self._facet_slices = {}
        start = 0
        for key in FACET_KEYS:
            self._facet_slices[key] = slice(start, start + len(self._facet_values[key]))
            start += len(self._facet_values[key])
        self._updated_days = np.array(list(self.reader.column_reader("updated_days")), dtype=np.int64)
        # Ties (equal scores, dates or titles) are broken by slug: document numbers change with
        # every build and update, so ordering by them would reorder equal articles at random.
        slugs = [card["slug"] if card else "" for card in self._cards]
        self._slug_rank = _ranks(slugs)
        titles = list(self.reader.column_reader("title_sort"))
        self._title_rank = _ranks(list(zip(titles, slugs)))
        self._vocabulary = self.taxonomy.vocabulary()
        # Spelling works from word lists in memory: Whoosh's reader corrector searches the
        # on-disk term table, which took 20-70 ms a misspelt word on NFCorpus.
        self._words = self._word_counts()
        self._spellers = {audience: Speller(self._words[audience], self._vocabulary) for audience in AUDIENCES}
        self._completions = {audience: self._build_completions(audience) for audience in AUDIENCES}

    def close(self) -> None:
        self._texts.close()
        self._spans.close()
        self.searcher.close()
        self.ix.close()

    # -- per-version structures ------------------------------------------------------------

    def _mask(self, query) -> np.ndarray:
        mask = np.zeros(self._doc_count, dtype=bool)
        mask[list(query.docs(self.searcher))] = True
        return mask

    def _audiences(self) -> dict[str, np.ndarray]:
        public = self._mask(Term("audience", "public"))
        return {"public": public, "staff": public | self._mask(Term("audience", "staff"))}

    def _value_mask(self, key: str, value: str) -> np.ndarray:
        return self._facet_rows[key][self._facet_values[key].index(value)]

    def _read_cards(self) -> list[dict | None]:
        """Each document's hit fields (None for deleted ones); its facet values as a dict of lists
        by facet, one shared dict per combination of values (`_card` gives the hit's dict)."""
        cards: list[dict | None] = [None] * self._doc_count
        combinations: dict[tuple, dict[str, list[str]]] = {}
        for docnum, stored in self.reader.iter_docs():
            values = tuple(tuple(v for v in stored.get(key, "").split(",") if v) for key in FACET_KEYS)
            facets = combinations.get(values)
            if facets is None:
                facets = combinations[values] = {key: list(chosen) for key, chosen in zip(FACET_KEYS, values)}
            cards[docnum] = {
                "slug": stored["slug"],
                "title": stored["title"],
                "url": f"/articles/{stored['slug']}",
                "summary": stored["summary"],
                "updated": stored["updated"] or None,
                "audience": stored["audience"],
                "facets": facets,
            }
        return cards

    def _card(self, docnum: int) -> dict:
        """What a hit or an article shows of a document: a new dict, the caller's to change, but
        for its "facets", shared between documents and never to be changed."""
        return self._cards[docnum].copy()

    def text(self, docnum: int) -> str:
        """A document's plain text, as snippets are made from it."""
        return self._texts[docnum].decode("utf-8")

    def _word_counts(self) -> dict[str, dict[str, int]]:
        """Per audience, every unstemmed word its articles use, with how many articles use it."""
        public = self._audience["public"]
        staff_only = self._audience["staff"] & ~public
        words = Texts(self.reader.column_reader("words"))
        try:
            public_counts = word_counts(words[int(docnum)] for docnum in np.flatnonzero(public))
            staff_counts = word_counts(words[int(docnum)] for docnum in np.flatnonzero(staff_only))
        finally:
            words.close()
        # Staff-only words never reach public corrections or completions.
        return {"public": dict(public_counts), "staff": dict(staff_counts + public_counts)}

    def _build_completions(self, audience: str) -> Completions:
        allowed = self._audience[audience]
        titles = [(self._cards[docnum]["title"], self._cards[docnum]["slug"]) for docnum in np.flatnonzero(allowed)]
        facets = [
            (phrase, value.label, key, value.value)
            for key in LISTED_FACETS
            for value in self.taxonomy.facet(key).values
            if (self._value_mask(key, value.value) & allowed).any()
            for phrase in {value.label, *value.synonyms}
        ]
        return Completions(self._words[audience], titles, facets)

    # -- search ------------------------------------------------------------------------------

    def text_query(self, text: str) -> list[scoring.Clause] | None:
        """One clause per distinct term of the text, over the weighted fields; None when nothing is searchable."""
        tokens = self._query_analyzer(text)
        if not tokens:
            return None
        # Question words ("what", "does") weigh less, unless the question has nothing else.
        lighter = self.ranking.question_word_weight if set(tokens) - self._question_words else 1.0
        return [self._clause(t, lighter if t in self._question_words else 1.0) for t in tokens]

    def _clause(self, term: str, weight: float) -> scoring.Clause:
        """The clause of one term: kept, as queries repeat their words and it never changes."""
        clause = self._clauses.get((term, weight))
        if clause is None:
            if len(self._clauses) >= CLAUSES_KEPT:
                self._clauses.clear()
            clause = scoring.Clause(tuple((f, term, w) for f, w in self.ranking.field_weights), weight)
            self._clauses[(term, weight)] = clause
        return clause

    def correct(self, text: str, audience: str) -> str | None:
        """The text with words unknown to this audience's articles replaced by their nearest known word."""
        known = self._words[audience]
        changed = False

        def fix(match: re.Match) -> str:
            nonlocal changed
            word = match.group(0)
            folded = word.casefold()
            if len(folded) < CORRECT_MIN_LENGTH or folded in self._vocabulary:
                return word
            if folded in known:
                return word
            nearest = self._spellers[audience].nearest(folded)
            if nearest is None:
                return word
            changed = True
            return nearest

        corrected = re.sub(SPELL_PATTERN, fix, text)
        return corrected if changed else None

    def _score(self, query: list[scoring.Clause] | None) -> scoring.Scores:
        if query is None:
            return scoring.Scores(np.zeros(self._doc_count), np.zeros(self._doc_count, dtype=bool))
        return scoring.score(self.postings, query, self.ranking.coordination)

    def search(self, request: SearchRequest, audience: str = "public") -> dict:
        started = time.perf_counter()
        allowed = self._audience[audience]
        query, scored, corrected = None, None, None
        if request.q:
            query = self.text_query(request.q)
            scored = self._score(query)
            suggestion = self.correct(request.q, audience)
            if suggestion is not None:
                corrected_query = self.text_query(suggestion)
                alternative = self._score(corrected_query)
                if (alternative.matched & allowed).any():
                    query, scored, corrected = corrected_query, alternative, suggestion
            matches = scored.matched & allowed
        else:
            matches = allowed
        selections = {key: self._selection(key, values) for key, values in request.filters}
        final = _intersect(matches, selections.values())
        facets = self._facet_counts(matches, selections, request)
        total = int(np.count_nonzero(final))
        pages = math.ceil(total / request.per_page)
        if request.page > max(pages, 1):
            raise NotFound(f"page {request.page} is past the last page ({pages})", param="page")
        hits = self._page(query, scored, final, total, request) if total else []
        return {
            "query": request.q,
            "corrected": corrected,
            "total": total,
            "page": request.page,
            "per_page": request.per_page,
            "pages": pages,
            "took_ms": round((time.perf_counter() - started) * 1000, 2),
            "hits": hits,
            "facets": facets,
        }

    def _selection(self, key: str, values: Sequence[str]) -> np.ndarray:
        """Values within one facet are OR-ed."""
        rows = [self._facet_values[key].index(value) for value in values]
        return self._facet_rows[key][rows].any(axis=0)

    def _facet_counts(self, matches: np.ndarray, selections: dict[str, np.ndarray], request: SearchRequest) -> dict[str, list[dict]]:
        """Disjunctive counts: a facet's counts apply every selection except its own."""
        result = {}
        by_base: dict[tuple[str, ...], list[int]] = {}  # the selections applied -> counts of every value
        for key in FACET_KEYS:
            others = tuple(other for other in selections if other != key)
            if others not in by_base:
                base = _intersect(matches, (selections[other] for other in others))
                by_base[others] = docsets.counts(self._facet_bits, base).tolist()
            chosen = request.selected(key)
            result[key] = [
                {"value": value, "label": label, "count": count, "selected": value in chosen}
                for (value, label), count in zip(self._facet_labels[key], by_base[others][self._facet_slices[key]])
            ]
        return result

    def _page(self, query, scored: scoring.Scores | None, final: np.ndarray, total: int, request: SearchRequest) -> list[dict]:
        wanted = request.page * request.per_page
        by_score = scored is not None and request.sort == "relevance"
        if by_score:
            scores = scored.scores
            if self.ranking.feedback_docs:
                scores = self._with_feedback(scores, final, query)
            ordered = scoring.top(scores, final, wanted, self._slug_rank, total)
        else:
            sort = request.sort if scored is not None or request.sort != "relevance" else "updated"
            candidates = np.flatnonzero(final)
            ordered = candidates[self._sort_order(sort, candidates)[:wanted]]
        words = frozenset(term for clause in query for fieldname, term, _ in clause.terms if fieldname == "body") if query else frozenset()
        shown = ordered[(request.page - 1) * request.per_page:].tolist()
        if words:
            hits = [(self.text(docnum), self._spans[docnum]) for docnum in shown]
            snippets = snippets_html(hits, words, SNIPPET_CHARS, SNIPPET_SURROUND, SNIPPET_FRAGMENTS)
        else:
            snippets = [""] * len(shown)
        shown_scores = scores[shown].tolist() if by_score else [0] * len(shown)
        hits = []
        for docnum, snippet, score in zip(shown, snippets, shown_scores):
            hit = self._card(docnum)
            hit["snippet"] = snippet or html.escape(hit["summary"], quote=False)
            hit["score"] = round(score, 4) if by_score else 0
            hits.append(hit)
        return hits

    def _sort_order(self, sort: str, candidates: np.ndarray) -> np.ndarray:
        """Positions of `candidates` in `sort` order: newest first (then title), or by title; equal titles by slug."""
        if sort == "updated":
            return np.lexsort((self._title_rank[candidates], -self._updated_days[candidates]))
        return np.argsort(self._title_rank[candidates], kind="stable")

    def _with_feedback(self, scores: np.ndarray, final: np.ndarray, query) -> np.ndarray:
        """Pseudo-relevance feedback (RM3-like): the most telling words of the top documents, weighted down.

        They only reorder the matches: their contributions are added to matching documents only.
        """
        docnums = [int(d) for d in scoring.top(scores, final, self.ranking.feedback_docs, self._slug_rank)]
        if not docnums:
            return scores
        known = {term for clause in query for _, term, _ in clause.terms}
        wanted = self.ranking.feedback_terms
        expander = classify.Expander(self.reader, "body", model=classify.Bo1Model)
        for docnum in docnums:
            expander.add_text(self.text(docnum))
        terms = [(t, w) for t, w in expander.expanded_terms(wanted + len(known), normalize=True) if t not in known]
        extra = [scoring.Clause((("body", t, 1.0),), w * self.ranking.feedback_weight) for t, w in terms[:wanted]]
        scores = scores.copy()
        scoring.add_words(self.postings, scores, extra, final)
        return scores

    # -- other reads ---------------------------------------------------------------------------

    def facet_totals(self, audience: str = "public") -> dict[str, list[dict]]:
        counts = docsets.counts(self._facet_bits, self._audience[audience]).tolist()
        return {
            key: [
                {"value": value, "label": label, "count": count}
                for (value, label), count in zip(self._facet_labels[key], counts[self._facet_slices[key]])
            ]
            for key in FACET_KEYS
        }

    def _visible(self, slug: str, audience: str) -> int | None:
        docnum = self.searcher.document_number(slug=slug)
        return docnum if docnum is not None and self._audience[audience][docnum] else None

    def article(self, slug: str, audience: str = "public") -> dict:
        """One article's metadata and sanitized HTML; NotFound for an unknown slug or one this audience may not see."""
        docnum = self._visible(slug, audience)
        if docnum is None:
            raise NotFound(f"no article '{slug}'", param="slug")
        stored = self.searcher.stored_fields(docnum)
        details = stored["details"]
        related = []
        for other in details["related"]:
            other_doc = self._visible(other, audience)
            if other_doc is not None:
                related.append({"slug": other, "title": self._cards[other_doc]["title"], "url": f"/articles/{other}"})
        price = None
        if stored.get("price_min") is not None:
            price = {"min": stored["price_min"], "max": stored["price_max"], "currency": details["currency"]}
        return {
            **self._card(docnum),
            "html": details["html"],
            "headings": [{"level": level, "anchor": anchor, "text": text} for level, anchor, text in details["headings"]],
            "sources": details["sources"],
            "related": related,
            "price": price,
        }

    def similar(self, slug: str, audience: str = "public", limit: int = SIMILAR_LIMIT, exclude: Sequence[str] = ()) -> list[dict]:
        """Articles this audience may see whose key words resemble `slug`'s body: Whoosh's
        more-like-this key terms (Bo1), each searched in the body with its weight.

        Whoosh's own more_like scores the terms one posting at a time in Python: 0.26 s an
        article page on 10,000 generated articles, whose key words are in most of them. Scored
        here as searches are (kb/scoring.py: the same BM25F), and ties go by slug, where
        Whoosh kept the lower document numbers, which depend on the segments a build wrote."""
        docnum = self._visible(slug, audience)
        if docnum is None:
            raise NotFound(f"no article '{slug}'", param="slug")
        allowed = self._audience[audience].copy()
        for other in (slug, *exclude):
            found = self.searcher.document_number(slug=other)
            if found is not None:
                allowed[found] = False
        key_terms = self.searcher.key_terms_from_text("body", self.text(docnum), numterms=SIMILAR_TERMS, normalize=False)
        clauses = [scoring.Clause((("body", term, 1.0),), weight) for term, weight in key_terms]
        # Added as feedback words are, scattered: body-only words kept dense would take the room
        # that the searches' common words use. Every term's score is positive, so is a match's.
        scores = np.zeros(self._doc_count)
        scoring.add_words(self.postings, scores, clauses, allowed)
        best = scoring.top(scores, scores > 0, limit, self._slug_rank)
        return [{key: self._cards[other][key] for key in ("slug", "title", "url")} for other in best.tolist()]

    def suggest(self, prefix: str, audience: str = "public") -> list[dict]:
        """Completions for a search box: index words, article titles, facet values; fast enough per keystroke."""
        return self._completions[audience].suggest(prefix)


def _ranks(keys: list) -> np.ndarray:
    """Each key's position in sorted order (live documents' keys are distinct; deleted ones' keep document order)."""
    ranks = np.empty(len(keys), dtype=np.int64)
    ranks[sorted(range(len(keys)), key=keys.__getitem__)] = np.arange(len(keys))
    return ranks


def _intersect(docs: np.ndarray, others) -> np.ndarray:
    for other in others:
        docs = docs & other
    return docs


UNUSABLE_MESSAGE = "the index cannot be read; rebuild it with `kb index`"
OLD_LAYOUT_MESSAGE = "the index was built by an older kb; rebuild it with `kb index`"


class SearchService:
    """The engine of the current index version in this process, replaced when `kb index` switches versions."""

    def __init__(self, index_dir, ranking: Ranking | None = None):
        self.store = IndexStore(index_dir)
        self.ranking = ranking or Ranking.from_settings()
        self._engine: Engine | None = None
        self._retired: Engine | None = None
        self._unusable: str | None = None  # a version that failed to open, not retried on every request
        self._lock = threading.Lock()

    def engine(self) -> Engine:
        name = self.store.current_name()
        if name is None:
            raise IndexUnavailable("no index has been built yet; run `kb index`")
        engine = self._engine
        if engine is not None and engine.version == name:
            return engine
        if name == self._unusable:  # tried already: wait for `kb index` to publish a repaired version
            raise IndexUnavailable(UNUSABLE_MESSAGE)
        with self._lock:
            if self._engine is None or self._engine.version != name:
                fresh = self._open(name)
                # A request on another thread may still be reading the engine being replaced,
                # so it is closed one switch later, when nothing can still hold it.
                if self._retired is not None:
                    self._retired.close()
                self._retired, self._engine = self._engine, fresh
            return self._engine

    def close(self) -> None:
        with self._lock:
            for engine in (self._retired, self._engine):
                if engine is not None:
                    engine.close()
            self._retired = self._engine = None

    def _open(self, name: str) -> Engine:
        manifest = Manifest.read(self.store.root / name)
        if manifest is not None and manifest.schema != SCHEMA_VERSION:
            raise IndexUnavailable(OLD_LAYOUT_MESSAGE)
        try:
            return Engine(self.store, name, self.ranking)
        except IndexUnavailable:
            raise
        except Exception as exc:  # a damaged segment can fail anywhere while the engine loads
            log.error("index version %s is unusable: %s", name, exc)
            self._unusable = name
            raise IndexUnavailable(UNUSABLE_MESSAGE) from exc
