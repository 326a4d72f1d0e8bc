"""Search: user text -> Whoosh query, ranking, disjunctive facets, snippets, paging, spelling, completions.

Plain dicts out, no Flask. One `Engine` per index version holds the searcher and every
per-version structure (audience and facet document sets, completion lists); `SearchService`
swaps engines when `kb index` switches the current version.
"""
from __future__ import annotations

import bisect
import heapq
import html
import logging
import math
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Mapping, Sequence

from whoosh import highlight, sorting, spelling
from whoosh.matching import WrappingMatcher
from whoosh.query import Every, Or, Phrase, Term, WrappingQuery

from kb.analysis import SPELL_PATTERN, question_terms, query_tokens
from kb.errors import BadParameter, IndexUnavailable, NotFound, QueryTooLong
from kb.index import IndexStore
from kb.ranking import Ranking
from kb.taxonomy import FACET_KEYS, LISTED_FACETS, Taxonomy

log = logging.getLogger(__name__)

SORTS = ("relevance", "updated", "title")
AUDIENCES = ("public", "staff")
PER_PAGE_DEFAULT, PER_PAGE_MAX = 10, 50
SUGGEST_LIMIT = 8
#: More-like-this: how many articles to offer, from how many of the article's most telling words.
SIMILAR_LIMIT, SIMILAR_TERMS = 4, 12
#: Misspellings are only corrected in words this long: 'cst' has too many plausible neighbours.
CORRECT_MIN_LENGTH = 4
SNIPPET_CHARS, SNIPPET_SURROUND, SNIPPET_FRAGMENTS = 220, 70, 2
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
    try:
        value = int(raw)
    except ValueError:
        raise BadParameter(f"{name} must be a whole number from {low} to {high}", param=name) from None
    if not low <= value <= high:
        raise BadParameter(f"{name} must be between {low} and {high}", param=name)
    return value


class MarkFormatter(highlight.Formatter):
    """Snippet HTML in which <mark> is the only markup; every other character is escaped."""

    between = " … "

    def format_token(self, text, token, replace=False):
        return f"<mark>{html.escape(highlight.get_text(text, token, replace), quote=False)}</mark>"

    def _text(self, text):
        return html.escape(text, quote=False)


@dataclass
class Completions:
    """Completion data of one audience, built once per index version."""

    words: list[str] = field(default_factory=list)
    frequencies: list[int] = field(default_factory=list)
    titles: list[tuple[str, str, str]] = field(default_factory=list)  # (folded title, title, slug)
    facets: list[tuple[str, str, str, str]] = field(default_factory=list)  # (folded phrase, label, key, value)


class Engine:
    """Search over one index version. Opened per process (after a server forks), reused across requests."""

    def __init__(self, store: IndexStore, version: str, ranking: Ranking | None = None):
        self.version = version
        self.ranking = ranking or Ranking.from_settings()
        self.ix, self.taxonomy = store.open(version)
        self.searcher = self.ix.searcher(weighting=self.ranking.weighting())
        self.reader = self.searcher.reader()
        schema = self.ix.schema
        self.analyzer = schema["body"].analyzer
        self._question_words = question_terms(self.analyzer)
        self.spell_analyzer = schema["spell_public"].analyzer
        self._audience_docs = self._audiences()
        self._facet_docs = {
            key: {v.value: self._docs(Term(key, v.value)) for v in self.taxonomy.facet(key).values} for key in FACET_KEYS
        }
        self._vocabulary = self.taxonomy.vocabulary()
        self._correctors = {audience: self._correctors_for(audience) for audience in AUDIENCES}
        self._completions = {audience: self._build_completions(audience) for audience in AUDIENCES}

    def close(self) -> None:
        self.searcher.close()
        self.ix.close()

    # -- per-version structures ------------------------------------------------------------

    def _docs(self, query) -> frozenset[int]:
        return frozenset(query.docs(self.searcher))

    def _audiences(self) -> dict[str, frozenset[int]]:
        public = self._docs(Term("audience", "public"))
        return {"public": public, "staff": public | self._docs(Term("audience", "staff"))}

    def _spell_fields(self, audience: str) -> tuple[str, ...]:
        return ("spell_public",) if audience == "public" else ("spell_public", "spell_staff")

    def _correctors_for(self, audience: str) -> list[spelling.Corrector]:
        # Whoosh 2.7.4's MultiCorrector yields its pairs in the wrong order and crashes, so
        # the audience's fields and the taxonomy's words are asked one by one (see `_nearest`).
        correctors = [spelling.ReaderCorrector(self.reader, f, self.ix.schema[f]) for f in self._spell_fields(audience)]
        return correctors + [spelling.ListCorrector(sorted(self._vocabulary))]

    def _nearest(self, word: str, audience: str) -> str | None:
        """The known word fewest edits away from `word`, the most frequent among equals."""
        fields = self._spell_fields(audience)
        for distance in (1, 2):
            candidates = {c for corrector in self._correctors[audience] for c in corrector.suggest(word, limit=3, maxdist=distance, prefix=1)}
            if candidates:
                return max(sorted(candidates), key=lambda c: sum(self.reader.doc_frequency(f, c) for f in fields))
        return None

    def _build_completions(self, audience: str) -> Completions:
        counts: dict[str, int] = {}
        for fieldname in self._spell_fields(audience):
            for word, info in self.reader.iter_field(fieldname):
                word = word.decode("utf-8") if isinstance(word, bytes) else word
                if len(word) >= 3:
                    counts[word] = counts.get(word, 0) + info.doc_frequency()
        words = sorted(counts)
        allowed = self._audience_docs[audience]
        titles = []
        for docnum in sorted(allowed):
            stored = self.searcher.stored_fields(docnum)
            titles.append((stored["title"].casefold(), stored["title"], stored["slug"]))
        titles.sort()
        facets = []
        for key in LISTED_FACETS:
            for value in self.taxonomy.facet(key).values:
                if self._facet_docs[key][value.value] & allowed:
                    for phrase in {value.label, *value.synonyms}:
                        facets.append((phrase.casefold(), value.label, key, value.value))
        facets.sort()
        return Completions(words, [counts[w] for w in words], titles, facets)

    # -- search ------------------------------------------------------------------------------

    def text_query(self, text: str):
        """OR of the text's terms over the weighted fields; None when the text has no searchable term."""
        tokens = query_tokens(self.analyzer, text)
        if not tokens:
            return None
        weights = self.ranking.field_weights
        # Question words ("what", "does") weigh less, unless the question has nothing else.
        lighter = self.ranking.question_word_weight if set(tokens) - self._question_words else 1.0
        per_token = [
            union([Term(f, t, boost=w * (lighter if t in self._question_words else 1.0)) for f, w in weights])
            for t in tokens
        ]
        if len(per_token) == 1:
            return per_token[0]
        return Coordinated(union(per_token), words=len(per_token), bonus=self.ranking.coordination)

    def correct(self, text: str, audience: str) -> str | None:
        """The text with words unknown to this audience's articles replaced by their nearest known word."""
        fields = self._spell_fields(audience)
        changed = False

        def fix(match: re.Match) -> str:
            nonlocal changed
            word = match.group(0)
            folded = word.casefold()
            if len(folded) < CORRECT_MIN_LENGTH or folded in self._vocabulary:
                return word
            if any(self.reader.doc_frequency(f, folded) for f in fields):
                return word
            nearest = self._nearest(folded, audience)
            if nearest is None:
                return word
            changed = True
            return nearest

        corrected = re.sub(SPELL_PATTERN, fix, text)
        return corrected if changed else None

    def search(self, request: SearchRequest, audience: str = "public") -> dict:
        started = time.perf_counter()
        query = self.text_query(request.q) if request.q else None
        corrected = None
        if request.q:
            suggestion = self.correct(request.q, audience)
            if suggestion is not None:
                corrected_query = self.text_query(suggestion)
                if corrected_query is not None and self._matches(corrected_query, audience):
                    query, corrected = corrected_query, suggestion
        matches = self._matches(query, audience) if request.q else self._audience_docs[audience]
        selections = {key: self._selection(key, values) for key, values in request.filters}
        final = _intersect(matches, selections.values())
        facets = self._facet_counts(matches, selections, request)
        total = len(final)
        pages = math.ceil(total / request.per_page)
        if request.page > max(pages, 1):
            raise NotFound(f"page {request.page} is past the last page ({pages})", param="page")
        hits = self._page(query, final, request) if total else []
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

    def _matches(self, query, audience: str) -> frozenset[int]:
        if query is None:
            return frozenset()
        return self._docs(query) & self._audience_docs[audience]

    def _selection(self, key: str, values: Sequence[str]) -> frozenset[int]:
        """Values within one facet are OR-ed."""
        docs: frozenset[int] = frozenset()
        for value in values:
            docs |= self._facet_docs[key][value]
        return docs

    def _facet_counts(self, matches, selections, request: SearchRequest) -> dict[str, list[dict]]:
        """Disjunctive counts: a facet's counts apply every selection except its own."""
        result = {}
        for key in FACET_KEYS:
            base = _intersect(matches, (docs for other, docs in selections.items() if other != key))
            chosen = set(request.selected(key))
            result[key] = [
                {
                    "value": value.value,
                    "label": value.label,
                    "count": len(base & self._facet_docs[key][value.value]),
                    "selected": value.value in chosen,
                }
                for value in self.taxonomy.facet(key).values
            ]
        return result

    def _scoring_query(self, query, final: frozenset[int]):
        """The matching query plus what only reorders its matches: word-pair phrase boosts and feedback terms."""
        words = list(dict.fromkeys(text for fieldname, text in query.iter_all_terms() if fieldname == "body"))
        parts = [query]
        if self.ranking.phrase_boost and len(words) > 1:
            parts += [
                Phrase(fieldname, [first, second], slop=self.ranking.phrase_slop, boost=self.ranking.phrase_boost)
                for first, second in zip(words, words[1:])
                for fieldname in ("title", "body")
            ]
        if self.ranking.feedback_docs:
            parts += self._feedback(query, final, set(words))
        return union(parts) if len(parts) > 1 else query

    def _feedback(self, query, final: frozenset[int], known: set[str]) -> list:
        """Pseudo-relevance feedback (RM3-like): the most telling words of the top documents, weighted down."""
        top = self.searcher.search(query, limit=self.ranking.feedback_docs, filter=set(final), terms=False)
        docnums = [hit.docnum for hit in top]
        if not docnums:
            return []
        wanted = self.ranking.feedback_terms
        terms = [(t, w) for t, w in self.searcher.key_terms(docnums, "body", numterms=wanted + len(known), normalize=True) if t not in known]
        if not terms:
            return []
        return [union([Term("body", t, boost=w) for t, w in terms[:wanted]], boost=self.ranking.feedback_weight)]

    def _page(self, query, final: frozenset[int], request: SearchRequest) -> list[dict]:
        sortedby = _sort_facet(request.sort if query is not None else ("updated" if request.sort == "relevance" else request.sort))
        scoring_query = self._scoring_query(query, final) if query is not None and request.sort == "relevance" else query
        results = self.searcher.search_page(
            scoring_query if query is not None else Every(),
            request.page,
            pagelen=request.per_page,
            filter=set(final),
            sortedby=sortedby,
            terms=False,
        )
        # Snippets mark the words the user searched for, not phrase or feedback terms.
        results.results.q = query
        results.results.fragmenter = highlight.ContextFragmenter(maxchars=SNIPPET_CHARS, surround=SNIPPET_SURROUND)
        results.results.formatter = MarkFormatter()
        hits = []
        for hit in results:
            stored = hit.fields()
            snippet = hit.highlights("body", top=SNIPPET_FRAGMENTS) if query is not None else ""
            hits.append(
                {
                    **self._describe(stored),
                    "snippet": snippet or html.escape(stored["summary"], quote=False),
                    "score": round(float(hit.score or 0.0), 4) if query is not None and request.sort == "relevance" else 0,
                }
            )
        return hits

    def _describe(self, stored: dict) -> dict:
        return {
            "slug": stored["slug"],
            "title": stored["title"],
            "url": f"/articles/{stored['slug']}",
            "summary": stored["summary"],
            "updated": stored["updated"] or None,
            "audience": stored["audience"],
            "facets": {key: [v for v in stored.get(key, "").split(",") if v] for key in FACET_KEYS},
        }

    # -- other reads ---------------------------------------------------------------------------

    def facet_totals(self, audience: str = "public") -> dict[str, list[dict]]:
        allowed = self._audience_docs[audience]
        return {
            key: [
                {"value": v.value, "label": v.label, "count": len(allowed & self._facet_docs[key][v.value])}
                for v in self.taxonomy.facet(key).values
            ]
            for key in FACET_KEYS
        }

    def article(self, slug: str, audience: str = "public") -> dict:
        """One article's metadata and sanitized HTML; NotFound for an unknown slug or one this audience may not see."""
        docnum = self.searcher.document_number(slug=slug)
        if docnum is None or docnum not in self._audience_docs[audience]:
            raise NotFound(f"no article '{slug}'", param="slug")
        stored = self.searcher.stored_fields(docnum)
        details = stored["details"]
        related = []
        for other in details["related"]:
            other_doc = self.searcher.document_number(slug=other)
            if other_doc is not None and other_doc in self._audience_docs[audience]:
                other_stored = self.searcher.stored_fields(other_doc)
                related.append({"slug": other, "title": other_stored["title"], "url": f"/articles/{other}"})
        price = None
        if stored.get("price_min") is not None:
            price = {"min": stored["price_min"], "max": stored["price_max"], "currency": details["currency"]}
        return {
            **self._describe(stored),
            "html": details["html"],
            "headings": [{"level": level, "anchor": anchor, "text": text} for level, anchor, text in details["headings"]],
            "sources": details["sources"],
            "related": related,
            "price": price,
        }

    def similar(self, slug: str, audience: str = "public", limit: int = SIMILAR_LIMIT, exclude: Sequence[str] = ()) -> list[dict]:
        """Articles this audience may see whose key words resemble `slug`'s body (Whoosh's more-like-this)."""
        docnum = self.searcher.document_number(slug=slug)
        if docnum is None or docnum not in self._audience_docs[audience]:
            raise NotFound(f"no article '{slug}'", param="slug")
        excluded = {docnum} | {self.searcher.document_number(slug=other) for other in exclude}
        allowed = set(self._audience_docs[audience] - excluded)
        if not allowed:
            return []
        hits = self.searcher.more_like(docnum, "body", top=limit, numterms=SIMILAR_TERMS, filter=allowed)
        return [{"slug": hit["slug"], "title": hit["title"], "url": f"/articles/{hit['slug']}"} for hit in hits]

    def suggest(self, prefix: str, audience: str = "public", limit: int = SUGGEST_LIMIT) -> list[dict]:
        """Completions for a search box: index words, article titles, facet values; fast enough per keystroke."""
        folded = " ".join(prefix.casefold().split())
        if not folded:
            return []
        data = self._completions[audience]
        head, _, last = folded.rpartition(" ")
        lead = f"{head} " if head else ""
        suggestions: list[dict] = []
        if last:
            start = bisect.bisect_left(data.words, last)
            stop = bisect.bisect_left(data.words, last + "\uffff")
            best = heapq.nlargest(4, range(start, stop), key=lambda i: data.frequencies[i])
            suggestions += [{"text": lead + data.words[i], "kind": "term"} for i in best if data.words[i] != last]
        for folded_title, title, slug in data.titles:
            if len(suggestions) >= limit - 1:
                break
            if folded_title.startswith(folded) or f" {folded}" in f" {folded_title}":
                suggestions.append({"text": title, "kind": "title", "slug": slug})
        seen = set()
        for phrase, label, key, value in data.facets:
            if len(suggestions) >= limit:
                break
            if (phrase.startswith(folded) or f" {folded}" in f" {phrase}") and (key, value) not in seen:
                seen.add((key, value))
                suggestions.append({"text": label, "kind": "facet", "facet": key, "value": value})
        return suggestions[:limit]


class UnionOr(Or):
    """Whoosh's Or, always matched as a tree of unions.

    On indexes under 5,000 documents Whoosh 2.7.4 picks a preloading array matcher for an Or
    whose parent does not ask for the current match, and that matcher's scores depend on how
    many hits were asked for. The union tree scores a document the same whatever the page
    size. (A subclass, because Whoosh rebuilds queries from their class when normalizing.)
    """

    matcher_type = Or.DEFAULT_MATCHER


def union(subqueries, **options) -> Or:
    return UnionOr(subqueries, **options)


class Coordinated(WrappingQuery):
    """Scales a document's score by the share of the query's words it contains.

    factor = 1 - bonus + bonus * matched / words, so with bonus 0.5 an article with two of
    "microneedling cost" scores in full and one with only "microneedling" at three quarters.
    Whoosh's own coordination (Or's `scale`) counts field-term matchers rather than words and
    recounts them as matchers run out, so the same article scored 23.1 for a page of 10 hits
    and 18.8 for a page of 50. The factor is at most 1, so Whoosh's quality bounds stay valid.
    """

    def __init__(self, child, words: int, bonus: float):
        super().__init__(child)
        self.words, self.bonus = words, bonus

    def _rewrap(self, child):
        return self.__class__(child, self.words, self.bonus)

    def matcher(self, searcher, context=None):
        inner = self.child.matcher(searcher, context)
        if self.words < 2 or not self.bonus or not inner.is_active():
            return inner
        return WordCoordination(inner, self.words, self.bonus)


class WordCoordination(WrappingMatcher):
    def __init__(self, child, words: int, bonus: float):
        super().__init__(child)
        self.words, self.bonus = words, bonus

    def _replacement(self, newchild):
        return self.__class__(newchild, self.words, self.bonus)

    def score(self):
        matched = {text for _, text in self.child.matching_terms(self.child.id())}
        return self.child.score() * (1 - self.bonus + self.bonus * min(len(matched), self.words) / self.words)


def _intersect(docs: frozenset[int], others) -> frozenset[int]:
    for other in others:
        docs = docs & other
    return docs


def _sort_facet(sort: str):
    if sort == "updated":
        return sorting.MultiFacet([sorting.FieldFacet("updated_days", reverse=True), sorting.FieldFacet("title_sort")])
    if sort == "title":
        return sorting.FieldFacet("title_sort")
    return None


class SearchService:
    """The engine of the current index version in this process, replaced when `kb index` switches versions."""

    def __init__(self, index_dir, ranking: Ranking | None = None):
        self.store = IndexStore(index_dir)
        self.ranking = ranking or Ranking.from_settings()
        self._engine: Engine | None = None
        self._retired: Engine | None = None
        self._lock = threading.Lock()

    def engine(self) -> Engine:
        name = self.store.current_name()
        if name is None:
            raise IndexUnavailable("no index has been built yet; run `kb index`")
        engine = self._engine
        if engine is not None and engine.version == name:
            return engine
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
        try:
            return Engine(self.store, name, self.ranking)
        except IndexUnavailable:
            raise
        except Exception as exc:  # a damaged segment can fail anywhere while the engine loads
            log.error("index version %s is unusable: %s", name, exc)
            raise IndexUnavailable("the index cannot be read; rebuild it with `kb index --full`") from exc
