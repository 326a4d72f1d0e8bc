"""Search over one index version: text -> scored matches, facet counts, a page of hits with snippets.

Plain dicts out, no Flask. An `Engine` is opened per process (after a server forks) and reused
across requests; kb/service.py replaces it when `kb index` publishes a new version. Per version
it keeps, as NumPy arrays over document numbers, each audience's documents and each facet
value's documents (kb/facets.py), the hit cards and sort keys (kb/cards.py), and, as queries
arrive, the scored postings of every word searched for (kb/scoring.py): a search is then
vector arithmetic. Whoosh reads the articles' stored fields and finds similar articles' key words.
"""
from __future__ import annotations

import functools
import hashlib
import hmac
import html
import logging
import math
import pickle
import secrets
import struct
import threading
import time
import zlib
from typing import Sequence

import numpy as np
from whoosh.lang import stemmer_for_language
from whoosh.query import Term

from kb import scoring
from kb.analysis import QueryAnalyzer, common_terms, question_terms
from kb.articles import DRAFT, EDITORS, PUBLIC, PUBLISHED, READERS, STAFF
from kb.cards import Cards
from kb.completions import Completions
from kb.dictionary import english_words
from kb.errors import IndexUnavailable, KbError, NotFound
from kb.facets import FacetSets, intersect
from kb.matching import TextMatch, answering
from kb.index import IndexStore
from kb.parameters import SearchRequest
from kb.ranking import Ranking
from kb.related_forms import RelatedForms
from kb.rules import RuleMatcher
from kb.similar import key_terms
from kb.snippets import snippets_html
from kb.taxonomy import LISTED_FACETS
from kb.vocabulary import Corrector, part_word_counts, reader_word_counts
from kb.whoosh_internals import ColumnBytes

log = logging.getLogger(__name__)

#: The disjoint sets of documents (kb/vocabulary.py's parts) each reader sees.
READER_PARTS = {PUBLIC: (PUBLIC,), STAFF: (PUBLIC, STAFF), EDITORS: (PUBLIC, STAFF, DRAFT)}
#: More-like-this: how many articles to offer, from how many of the article's most telling words.
SIMILAR_LIMIT, SIMILAR_TERMS = 4, 12
SNIPPET_CHARS, SNIPPET_SURROUND, SNIPPET_FRAGMENTS = 220, 70, 2
#: Articles whose key words are kept per index version, per audience.
KEY_TERMS_KEPT = 1024
#: Query clauses kept per index version (queries repeat their words; a clause never changes).
CLAUSES_KEPT = 50_000


#: What a damaged file of an open version raises when it is read: its bytes are not what was written.
#: Narrow on purpose: a bug (an IndexError, a ValueError) must stay a bug, not pass for damage.
DAMAGED_DATA = (UnicodeError, struct.error, zlib.error, EOFError, pickle.UnpicklingError, OSError)


def reads_index(method):
    """An engine method that reads the version's files: damage found there is a 503 naming the
    cure (`kb index` notices damaged files and rebuilds), never a 500."""

    @functools.wraps(method)
    def reading(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except KbError:
            raise
        except DAMAGED_DATA as exc:
            log.exception("index version %s is damaged", self.version)
            raise IndexUnavailable(f"the index is damaged; rebuild it with `kb index` ({type(exc).__name__})") from exc

    return reading


def search_id(key: bytes, version: str, audience: str, request: SearchRequest) -> str:
    """The same token for the same question (words, filters, sort; any page) of the same index
    version: it names the search, never the person (click and feedback events echo it). Keyed
    with the service's secret, so that nobody else can tell which query a token stands for."""
    named = repr((version, audience, request.question_key())).encode("utf-8")
    return hmac.new(key, named, hashlib.sha256).hexdigest()[:16]


class Engine:
    """Search, articles, similar articles and completions over one index version."""

    def __init__(self, store: IndexStore, version: str, ranking: Ranking | None = None, search_key: bytes | None = None):
        english = english_words()  # first: a missing dictionary must not leave index files open
        self.version = version
        # Workers of one service share its secret, so they name a search alike; alone, any key will do.
        self._search_key = search_key or secrets.token_bytes(32)
        self.ranking = ranking or Ranking.from_settings()
        self.ix, self.taxonomy = store.open(version)
        self.searcher = self.ix.searcher()
        self.reader = self.searcher.reader()
        self.analyzer = self.ix.schema["body"].analyzer
        #: Statistics over the whole index (what editors' searches are scored with).
        self.postings = scoring.Postings(self.reader, self.ranking)
        self._doc_count = self.postings.doc_count
        self._query_analyzer = QueryAnalyzer(self.analyzer)
        self._question_words = question_terms(self.analyzer)
        self._clause = functools.lru_cache(maxsize=CLAUSES_KEPT)(self._make_clause)
        # An article's key words read every word's postings; pages ask for the same articles.
        self._key_terms = functools.lru_cache(maxsize=KEY_TERMS_KEPT)(self._find_key_terms)
        self.cards = Cards(self.reader)
        self._texts = ColumnBytes(self.reader.column_reader("text"))
        # Where each term stands in each text, as the body field recorded it (kb/spans.py).
        self._spans = ColumnBytes(self.reader.column_reader("body"))
        drafts = self._documents(Term("status", DRAFT))
        public = self._documents(Term("audience", PUBLIC)) & ~drafts
        staff_only = self._documents(Term("audience", STAFF)) & ~drafts
        #: Which documents each reader sees: the public its public articles, staff every published
        #: article, editors the drafts too.
        self._audience = {PUBLIC: public, STAFF: public | staff_only, EDITORS: public | staff_only | drafts}
        self.draft_slugs = frozenset(self.cards.field(int(docnum), "slug") for docnum in np.flatnonzero(drafts))
        # Each reader's articles by slug: a slug the reader may not see is looked up exactly
        # as one that does not exist (the same work, the same time).
        self._slugs = {reader: {self.cards.field(int(docnum), "slug"): int(docnum) for docnum in np.flatnonzero(mask)} for reader, mask in self._audience.items()}
        # Each reader's answers are scored over its own articles only: a public score, order or
        # count never depends on a staff-only article or a draft (kb/scoring.py).
        # Staff statistics are a population's even without drafts, so that a draft's arrival changes nothing.
        lengths = self.postings.lengths()
        self._postings = {
            PUBLIC: scoring.Postings(self.reader, self.ranking, public, lengths),
            STAFF: scoring.Postings(self.reader, self.ranking, self._audience[STAFF], lengths),
            EDITORS: self.postings,
        }
        self.facets = FacetSets(self.taxonomy, self._doc_count, lambda key, value: self._documents(Term(key, value)))
        # Words, corrections and completions are made per reader on first use (kb/vocabulary.py):
        # a new version answers its first search without waiting for what no one has asked for yet.
        self._parts = {PUBLIC: public, STAFF: staff_only, DRAFT: drafts}
        self._has_drafts = bool(drafts.any())
        self._english = english
        self._built: dict[tuple[str, str], object] = {}
        self._building = threading.RLock()
        self.rules = RuleMatcher(store.rules(version).rules, self._query_analyzer)

    def close(self) -> None:
        self._texts.close()
        self._spans.close()
        self.searcher.close()
        self.ix.close()

    def audience_documents(self, audience: str) -> np.ndarray:
        """Which documents `audience` may see, as a boolean mask over document numbers."""
        return self._audience[audience]

    def _documents(self, query) -> np.ndarray:
        mask = np.zeros(self._doc_count, dtype=bool)
        mask[list(query.docs(self.searcher))] = True
        return mask

    def _once(self, kind: str, reader: str, make):
        """What `make()` gives, made once per engine for this kind and reader, whichever thread asks first."""
        key = (kind, reader)
        found = self._built.get(key)
        if found is None:
            with self._building:
                found = self._built.get(key)
                if found is None:
                    found = self._built[key] = make()
        return found

    def _same_as(self, reader: str) -> str:
        """Without drafts, editors see what staff see: they share staff's words and what is made of them."""
        return STAFF if reader == EDITORS and not self._has_drafts else reader

    def word_counts(self, reader: str) -> dict[str, int]:
        """Every unstemmed word the articles `reader` sees use, with how many use it."""
        reader = self._same_as(reader)
        part = functools.partial(self._once, "part")
        return self._once("words", reader, lambda: reader_word_counts(
            [part(name, lambda name=name: part_word_counts(self.reader, self._parts[name])) for name in READER_PARTS[reader]]
        ))

    def _corrector(self, reader: str) -> Corrector:
        reader = self._same_as(reader)
        return self._once("corrector", reader, lambda: Corrector(self.word_counts(reader), self.taxonomy.vocabulary(), self._english))

    def completions(self, reader: str) -> Completions:
        reader = self._same_as(reader)
        return self._once("completions", reader, lambda: self._build_completions(reader, self.word_counts(reader)))

    def _build_completions(self, audience: str, words: dict[str, int]) -> Completions:
        allowed = self._audience[audience]
        titles = [(self.cards.field(docnum, "title"), self.cards.field(docnum, "slug")) for docnum in np.flatnonzero(allowed)]
        facets = [
            (phrase, value.label, key, value.value)
            for key in LISTED_FACETS
            for value in self.taxonomy.facet(key).values
            if (self.facets.documents(key, value.value) & allowed).any()
            for phrase in {value.label, *value.synonyms}
        ]
        return Completions(words, titles, facets, stemmer_for_language("en"))

    def text(self, docnum: int) -> str:
        """A document's plain text, as snippets are made from it."""
        return self._texts[docnum].decode("utf-8")

    # -- search ------------------------------------------------------------------------------

    def text_query(self, text: str) -> list[scoring.Clause] | None:
        """One clause per distinct term of the text, over the weighted fields; None when nothing is searchable."""
        return self._clauses(self._query_analyzer(text))

    def _clauses(self, terms: list[str]) -> list[scoring.Clause] | None:
        if not terms:
            return None
        # Question words ("what", "does") weigh less, unless the question has nothing else.
        lighter = self.ranking.question_word_weight if set(terms) - self._question_words else 1.0
        return [self._clause(t, lighter if t in self._question_words else 1.0) for t in terms]

    def _make_clause(self, term: str, weight: float) -> scoring.Clause:
        return scoring.Clause(tuple((f, term, w) for f, w in self.ranking.field_weights), weight)

    def correct(self, text: str, audience: str) -> str | None:
        """The text with words unknown to this audience's articles replaced by their nearest known word."""
        return self._corrector(audience).correct(text)

    def postings_for(self, audience: str) -> scoring.Postings:
        """The postings and statistics `audience`'s answers are scored with."""
        return self._postings[audience]

    def _score(self, query: list[scoring.Clause] | None, audience: str) -> scoring.Scores:
        if query is None:
            return scoring.Scores(np.zeros(self._doc_count), np.zeros(self._doc_count, dtype=bool))
        return scoring.score(self._postings[audience], query, self.ranking.coordination)

    @reads_index
    def search(self, request: SearchRequest, audience: str = PUBLIC) -> dict:
        started = time.perf_counter()
        allowed = self._audience[audience]
        text = self._match_text(request.q, audience, request.correct) if request.q else None
        matches = text.matches if text else allowed
        pinned = self._pinned(text.terms, audience) if text else []
        if pinned:
            matches = matches.copy()
            matches[pinned] = True
        selections = {key: self.facets.selection(key, values) for key, values in request.filters}
        final = intersect(matches, selections.values())
        facets = self.facets.counts(matches, selections, dict(request.filters))
        total = int(np.count_nonzero(final))
        pages = math.ceil(total / request.per_page)
        if request.page > max(pages, 1):
            raise NotFound(f"page {request.page} is past the last page ({pages})", param="page")
        hits = self._page(text, [d for d in pinned if final[d]], final, total, request) if total else []
        return {
            "query": request.q,
            "corrected": text.corrected if text else None,
            "unmatched": text.unmatched if text else [],
            "notices": self._notices(text.terms, audience) if text else [],
            "search_id": search_id(self._search_key, self.version, audience, request),
            "total": total,
            "page": request.page,
            "per_page": request.per_page,
            "pages": pages,
            "took_ms": round((time.perf_counter() - started) * 1000, 2),
            "hits": hits,
            "facets": facets,
        }

    def _match_text(self, text: str, audience: str, correct: bool = True) -> TextMatch:
        """The text as typed, or its spelling correction when the text has words nobody knows
        and the correction finds answers or words: beside a word no article has ("accutane
        microneedlign"), the typo is still corrected, and only the unknown word is unmatched."""
        typed = self._match_words(text, audience)
        suggestion = self.correct(text, audience) if correct else None
        if suggestion is not None:
            corrected = self._match_words(suggestion, audience)
            if corrected.matches.any() or len(corrected.unmatched) < len(typed.unmatched):
                return corrected._replace(corrected=suggestion)
        return typed

    def _match_words(self, text: str, audience: str) -> TextMatch:
        """Scores, answers and unmatched words of a text (kb/matching.py has the rule)."""
        allowed = self._audience[audience]
        postings = self._postings[audience]
        terms = self._query_analyzer.terms(text)
        distinct = list(dict.fromkeys(term for term, _ in terms))
        kept, seen = [], set()
        for term, clause in zip(distinct, self._clauses(distinct) or ()):
            if self._seen(clause, audience):
                seen.add(term)
            elif term not in self._question_words and (related := self._related(term, audience)):
                others = [stem for stem in related if stem not in distinct]
                if not others:
                    continue  # answered by the query's other words ("sterilise sterile"): not counted twice
                clause = scoring.Clause(tuple(field_term for stem in others for field_term in self._clause(stem, 1.0).terms), clause.weight)
                seen.add(term)
            kept.append((term, clause))
        clauses = [clause for _, clause in kept] or None
        scored = self._score(clauses, audience)
        meaningful = [(term, clause) for term, clause in kept if term not in self._question_words]
        found = [clause for term, clause in meaningful if term in seen]
        missing = {term for term, _ in meaningful if term not in seen}
        unmatched = list(dict.fromkeys(" ".join(words) for term, words in terms if term in missing))
        if not meaningful:
            matches = scored.matched & allowed
        elif not found:
            matches = np.zeros(self._doc_count, dtype=bool)
        else:
            matches = answering(postings, found, len(missing)) & allowed
        return TextMatch(clauses, scored, matches, unmatched, None, [term for term, _ in terms])

    def _seen(self, clause: scoring.Clause, audience: str) -> bool:
        """Whether some article `audience` may see matches the clause."""
        return bool(self._audience[audience][self._postings[audience].word(clause.terms).docs].any())

    def _related(self, term: str, audience: str) -> list[str]:
        """The related forms of a word no article the audience sees has, that some of them have
        (kb/related_forms.py): "amnesia" finds "amnesic"."""
        return [stem for stem in self._related_forms().of(term) if self._seen(self._clause(stem, 1.0), audience)]

    def _related_forms(self) -> RelatedForms:
        """Every stem of the searched fields, whoever may see it: a stem is offered to an asker
        only once one of the asker's articles is found to have it."""
        fields = [field for field, _ in self.ranking.field_weights]
        return self._once("related forms", EDITORS, lambda: RelatedForms(
            (term.decode("utf-8") if isinstance(term, bytes) else term for field in fields for term in self.reader.lexicon(field)),
            common_terms(),
        ))

    def _pinned(self, terms: list[str], audience: str) -> list[int]:
        """Documents the query rules pin for these terms, that this audience may see."""
        found = (self._visible(slug, audience) for slug in self.rules.pins(terms))
        return [docnum for docnum in found if docnum is not None]

    def _notices(self, terms: list[str], audience: str) -> list[dict]:
        return [notice.to_dict(notice.slug is not None and self._visible(notice.slug, audience) is not None) for notice in self.rules.notices(terms)]

    def _page(self, text: TextMatch | None, pinned: list[int], final: np.ndarray, total: int, request: SearchRequest) -> list[dict]:
        """The hits of the requested page: pinned articles first, then by relevance or the chosen sort."""
        wanted = request.page * request.per_page
        by_score = text is not None and request.sort == "relevance"
        if by_score:
            rest = final.copy()
            rest[pinned] = False
            best = np.empty(0, dtype=np.intp)
            if wanted > len(pinned):
                best = scoring.top(text.scored.scores, rest, wanted - len(pinned), self.cards.slug_rank, total - len(pinned))
            ordered = np.concatenate([np.array(pinned, dtype=best.dtype), best])
        else:
            sort = request.sort if text is not None or request.sort != "relevance" else "updated"
            candidates = np.flatnonzero(final)
            ordered = candidates[self.cards.sort_order(sort, candidates)[:wanted]]
        shown = ordered[(request.page - 1) * request.per_page : wanted].tolist()
        snippets = self._snippets(text.clauses if text else None, shown)
        shown_scores = text.scored.scores[shown].tolist() if by_score else [0] * len(shown)
        hits = []
        for docnum, snippet, score in zip(shown, snippets, shown_scores):
            hit = self.cards.card(docnum)
            hit["snippet"] = snippet or html.escape(hit["summary"], quote=False)
            hit["score"] = round(score, 4) if by_score else 0
            hits.append(hit)
        return hits

    def _snippets(self, query, shown: list[int]) -> list[str]:
        words = frozenset(term for clause in query for fieldname, term, _ in clause.terms if fieldname == "body") if query else frozenset()
        if not words:
            return [""] * len(shown)
        hits = [(self.text(docnum), self._spans[docnum]) for docnum in shown]
        return snippets_html(hits, words, SNIPPET_CHARS, SNIPPET_SURROUND, SNIPPET_FRAGMENTS)

    # -- other reads ---------------------------------------------------------------------------

    def facet_totals(self, audience: str = PUBLIC) -> dict[str, list[dict]]:
        return self.facets.totals(self._audience[audience])

    def slugs(self, audience: str) -> frozenset[str]:
        """The slugs of every article `audience` may see."""
        return frozenset(self._slugs[audience])

    def is_visible(self, slug: str, audience: str) -> bool:
        """Whether `audience` may see the article `slug` (an unknown slug is not visible)."""
        return self._visible(slug, audience) is not None

    def _visible(self, slug: str, audience: str) -> int | None:
        return self._slugs[audience].get(slug)

    @reads_index
    def article(self, slug: str, audience: str = PUBLIC) -> dict:
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
                related.append(self.cards.link(other_doc))
        price = None
        if stored.get("price_min") is not None:
            price = {"min": stored["price_min"], "max": stored["price_max"], "currency": details["currency"]}
        return {
            **self.cards.card(docnum),
            "html": details["html"],
            "headings": [{"level": level, "anchor": anchor, "text": text} for level, anchor, text in details["headings"]],
            "sources": details["sources"],
            "source_details": details["source_details"],
            "related": related,
            "price": price,
            "reviewed": details.get("reviewed"),
            "status": stored.get("status") or PUBLISHED,
        }

    @reads_index
    def articles(self, audience: str) -> list[dict]:
        """Every article `audience` may see, as cards with their clinical review, by title."""
        listed = []
        for docnum in np.flatnonzero(self._audience[audience]):
            card = self.cards.card(int(docnum))
            card["reviewed"] = self.searcher.stored_fields(int(docnum))["details"].get("reviewed")
            listed.append(card)
        return sorted(listed, key=lambda card: card["title"].casefold())

    @reads_index
    def similar(self, slug: str, audience: str = PUBLIC, limit: int = SIMILAR_LIMIT, exclude: Sequence[str] = ()) -> list[dict]:
        """Articles this audience may see whose key words resemble `slug`'s body: Whoosh's
        more-like-this key terms (Bo1, over this audience's articles: kb/similar.py), each scored
        in the body as searches are, ties by slug (Whoosh's own more_like scores one posting at
        a time and breaks ties by document number, which depends on the segments a build wrote)."""
        docnum = self._visible(slug, audience)
        if docnum is None:
            raise NotFound(f"no article '{slug}'", param="slug")
        allowed = self._audience[audience].copy()
        for other in (slug, *exclude):
            found = self._slugs[EDITORS].get(other)
            if found is not None:
                allowed[found] = False
        postings = self._postings[audience]
        clauses = [scoring.Clause((("body", term, 1.0),), weight) for term, weight in self._key_terms(docnum, audience)]
        scores = np.zeros(self._doc_count)
        scoring.add_words(postings, scores, clauses, allowed)
        best = scoring.top(scores, scores > 0, limit, self.cards.slug_rank)  # every key term scores above 0
        return [self.cards.link(other) for other in best.tolist()]

    def _find_key_terms(self, docnum: int, audience: str) -> list[tuple[str, float]]:
        return key_terms(self._postings[audience], "body", self.text(docnum), SIMILAR_TERMS)

    def suggest(self, prefix: str, audience: str = PUBLIC) -> list[dict]:
        """Completions for a search box: index words, article titles, facet values."""
        return self.completions(audience).suggest(prefix)
