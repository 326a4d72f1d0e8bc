"""Blueprint `web`: the staff search page and article pages, rendered on the server.

Every page works as plain HTML forms and links; static/search.js enhances the search page
by fetching only its two regions (facets and results) with the PARTIAL_HEADER set. What a
visitor sees depends on who is signed in, so pages are never stored by shared caches.
"""
from __future__ import annotations

import dataclasses

import datetime as dt
import logging
from urllib.parse import urlencode

from flask import Blueprint, render_template, request

from kb import auth
from kb.articles import EDITORS, PUBLIC
from kb.errors import NotFound
from kb.extensions import branding, insights_recorder, phone_regions, search_limits, search_service
from kb.insights.events import SearchRecord, analytics_wanted
from kb.handlers import PARTIAL_HEADER, is_partial
from kb.parameters import PER_PAGE_DEFAULT, SEARCH_PARAMS, SearchRequest, parse_request
from kb.taxonomy import FACET_KEYS

log = logging.getLogger(__name__)
bp = Blueprint("web", __name__)

#: Pages shown around the current one in the pagination bar ("1 … 4 5 [6] 7 8 … 20").
PAGE_WINDOW = 2
#: "Was this helpful?" answered No: the reasons offered (the events endpoint's values).
FEEDBACK_REASONS = {
    "not_answered": "It did not answer my question",
    "hard_to_understand": "It was hard to understand",
    "out_of_date": "It looks out of date",
    "other": "Something else",
}
SORT_LABELS = {"relevance": "Best match", "updated": "Recently updated", "title": "Title A to Z"}


@bp.after_request
def _private(response):
    """Pages differ by signed-in audience, so only the visitor's own browser may keep them."""
    response.cache_control.private = True
    response.cache_control.no_cache = True
    response.vary.add("Cookie")
    response.vary.add(PARTIAL_HEADER)
    return response


@bp.get("/")
def search_page():
    engine = search_service().engine()
    audience = auth.audience()
    # Shared links may carry tracking parameters (utm_source...); the page ignores what it does not know.
    params = {name: request.args.getlist(name) for name in request.args if name in SEARCH_PARAMS}
    search = parse_request(params, engine.taxonomy, search_limits())
    try:
        result = engine.search(search, audience)
    except NotFound as past_the_end:  # only a page past the last one
        last = engine.search(dataclasses.replace(search, page=1), audience)["pages"]
        past_the_end.way_out = (SearchLinks(search).url(page=max(last, 1)), f"Go to the last page (page {max(last, 1)})")
        raise
    # A visitor who is not signed in is a patient: their searches count for the insights page.
    # The page's script records the searches it loads itself (settled ones only) through the API.
    record = SearchRecord.of_search(search, result, phone_regions()) if audience == PUBLIC else None
    if record is not None and not is_partial() and analytics_wanted():
        insights_recorder().add("searches", record.row())
    context = {
        "result": result,
        "search": search,
        "taxonomy": engine.taxonomy,
        "links": SearchLinks(search),
        "pages": page_numbers(result["page"], result["pages"]),
        "sort_labels": SORT_LABELS,
        # The empty state offers every topic this audience can browse.
        "topics": engine.facet_totals(audience) if not result["total"] else None,
        "recorded": record is not None,
        # Clicks on any page of a patient's search count for it (a search_id names every page).
        "tracked": audience == PUBLIC and bool(search.q or search.filters),
        # Editors see drafts among the hits, marked as such.
        "drafts": engine.draft_slugs if audience == EDITORS else frozenset(),
    }
    return render_template("web/_regions.html" if is_partial() else "web/search.html", **context)


@bp.get("/articles/<slug>")
def article_page(slug: str):
    engine = search_service().engine()
    audience = auth.audience()
    article = engine.article(slug, audience)
    similar = engine.similar(slug, audience, exclude=[item["slug"] for item in article["related"]])
    return render_template(
        "web/article.html", article=article, similar=similar, taxonomy=engine.taxonomy, feedback_reasons=FEEDBACK_REASONS.items()
    )


class SearchLinks:
    """URLs of the search page for this search with one thing changed, in the API's parameter names."""

    def __init__(self, search: SearchRequest):
        self.search = search

    def url(self, *, q: str | None = None, filters: dict[str, tuple[str, ...]] | None = None,
            page: int = 1, sort: str | None = None, correct: bool | None = None) -> str:
        chosen = dict(self.search.filters) if filters is None else filters
        pairs: list[tuple[str, str]] = []
        text = self.search.q if q is None else q
        if text:
            pairs.append(("q", text))
        for key in FACET_KEYS:
            pairs += [(key, value) for value in chosen.get(key, ())]
        sort = sort or self.search.sort
        if sort != "relevance":
            pairs.append(("sort", sort))
        if self.search.per_page != PER_PAGE_DEFAULT:
            pairs.append(("per_page", str(self.search.per_page)))
        if page != 1:
            pairs.append(("page", str(page)))
        if text and not (self.search.correct if correct is None else correct):
            pairs.append(("correct", "false"))
        return "/?" + urlencode(pairs) if pairs else "/"

    def api(self) -> str:
        """This search's first page from the public API (what the page's script records)."""
        return "/api/v1/search" + self.url(page=1)[1:]

    def page(self, number: int) -> str:
        return self.url(page=number)

    def as_typed(self) -> str:
        """This search with the words as typed, never corrected ("search instead for ...")."""
        return self.url(correct=False)

    def clear(self, key: str | None = None) -> str:
        """Without facet `key`'s selection, or without any selection when no key is given."""
        if key is None:
            return self.url(filters={})
        return self.url(filters={k: v for k, v in self.search.filters if k != key})

    def only(self, key: str, value: str) -> str:
        """A new search: just this facet value, no text (a chip or a topic link)."""
        return self.url(q="", filters={key: (value,)})


def page_numbers(current: int, last: int) -> list[int | None]:
    """The page numbers to show, None where a run is left out."""
    shown = sorted({1, last, *range(current - PAGE_WINDOW, current + PAGE_WINDOW + 1)} & set(range(1, last + 1)))
    numbers: list[int | None] = []
    for number in shown:
        if numbers and number - numbers[-1] > 1:
            numbers.append(None)
        numbers.append(number)
    return numbers


@bp.app_template_filter("long_date")
def long_date(iso: str | None) -> str:
    """'2026-11-01' -> '1 November 2026', as staff say dates aloud."""
    if not iso:
        return ""
    day = dt.date.fromisoformat(iso)
    return f"{day.day} {day:%B %Y}"


@bp.app_template_filter("either")
def either(words: list[str]) -> str:
    """['eczema', 'rosacea'] -> '“eczema” or “rosacea”' (escaped by the template as text)."""
    quoted = [f"“{word}”" for word in words]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


@bp.app_context_processor
def _template_globals():
    return {"staff_name": auth.staff_name, "is_editor": auth.is_editor, "facet_keys": FACET_KEYS, "site": branding()}


