"""Blueprint `api`: the public JSON API of the contract. It always answers for the public audience."""
from __future__ import annotations

import hashlib
import json
from importlib import resources
from typing import Any, Callable, Hashable

import orjson
import yaml
from flask import Blueprint, Response, current_app, g, jsonify, request
from flask_cors import CORS
from werkzeug.http import quote_etag

from kb.articles import PUBLIC
from kb.compression import still_fresh
from kb.errors import BadParameter
from kb.extensions import answer_cache, insights_recorder, phone_regions, search_limits, search_service
from kb.insights.events import MAX_EVENT_BYTES, SearchRecord, analytics_wanted, parse_event
from kb.parameters import Limits, SearchRequest, parse_request, query_text
from kb.settings import split_origins
from kb.taxonomy import Taxonomy

bp = Blueprint("api", __name__, url_prefix="/api/v1")
#: The public API answers for the public, whoever asks: a signed-in browser gets the same answers.
AUDIENCE = PUBLIC
#: What article pages show staff and editors, and the public API leaves out (for the public, always "public" and "published").
STAFF_ONLY_FIELDS = ("audience", "status")
VERSION_HEADER = "KB-Index-Version"
#: navigator.sendBeacon sends text/plain, which needs no CORS preflight; scripts may send JSON.
EVENT_TYPES = ("application/json", "text/plain")


def enable_cors(app) -> None:
    """CORS for the public API only, and only for the configured origins (none by default)."""
    origins = split_origins(app.config["CORS_ORIGINS"])
    app.extensions["kb.cors_origins"] = origins
    if origins:
        # Vary is ours (`_varies_by_origin`): flask-cors leaves it off with one origin and on refusals.
        CORS(app, resources={r"/api/*": {"origins": origins}}, methods=["GET", "POST", "OPTIONS"], max_age=600, vary_header=False)


@bp.after_request
def _varies_by_origin(response: Response) -> Response:
    """While CORS is on, every answer depends on the Origin asking (its Access-Control headers
    or their absence): a CDN must not serve one origin's answer to another, or to a page with none."""
    if current_app.extensions["kb.cors_origins"]:
        response.vary.add("Origin")
    return response


def _params() -> dict[str, list[str]]:
    return {name: request.args.getlist(name) for name in request.args}


def _cached(version: str, checked: Callable[[], tuple[Hashable, Any]], build: Callable[[Any], dict],
            summary: Callable[[Any, dict], Any] = lambda request, answer: None) -> Response:
    """Answer with ETag and Cache-Control; the ETag is known before any work, so a revalidation costs nothing.

    `checked()` checks the request's parameters and returns (key, request): the parameters
    normalized, and what `build(request)` makes the answer from. The ETag is derived from the
    index version, the endpoint, the public audience and the key: the same inputs always give
    the same answer. Answers are kept under the key, and the request as sent (path and query
    string) is kept as an alias of it, so a repeat is answered without its parameters being
    parsed, checked and hashed again. A bad parameter raises before anything is kept.
    `summary(request, answer)` is kept beside the answer (what insights record of it) and
    handed to `after_answer` on every request, the cached and the revalidated ones too.
    """
    answers = answer_cache()
    as_sent = (request.path, request.query_string)
    found = answers.find_alias(version, AUDIENCE, as_sent)
    if found is None:
        key, parsed = checked()
        answer_key = (request.path, key)
        found = answers.get(version, AUDIENCE, answer_key, lambda: _answer(version, answer_key, parsed, build, summary))
        answers.alias(version, AUDIENCE, as_sent, answer_key)
    digest, body, headers, kept_summary = found
    g.answer_summary = kept_summary
    if still_fresh(digest):
        return Response(status=304, headers=headers)
    return Response(body, mimetype="application/json", headers=headers)


def _answer(version: str, answer_key: tuple[str, Hashable], parsed, build, summary) -> tuple[str, bytes, list[tuple[str, str]], Any]:
    """What is kept of an answer: its ETag's digest, its encoded body, its headers and its summary."""
    answer = build(parsed)
    path, key = answer_key
    digest = hashlib.sha256(repr((version, path, AUDIENCE, key)).encode()).hexdigest()[:32]
    headers = [
        ("ETag", quote_etag(digest)),
        # Which index version answered: on several nodes, shows they serve the same articles commit.
        (VERSION_HEADER, version),
        ("Cache-Control", f"public, max-age={int(current_app.config['API_CACHE_SECONDS'])}"),
    ]
    # A copy of exactly the body's size: orjson's own bytes keep the room it grew into while
    # writing (measured: 4.2 KB held for a 1.8 KB answer), and the cache keeps thousands.
    body = bytes(memoryview(_encoded(answer)))
    return digest, body, headers, summary(parsed, answer)


def kept_answer_bytes(kept: tuple[str, bytes, list, Any]) -> int:
    """What a kept answer holds besides what every entry does (kb/answers.py): its body."""
    return len(kept[1])


def _encoded(answer: dict) -> bytes:
    """The answer as compact UTF-8 JSON, characters outside ASCII as they are. Keys keep the
    order the answer was built in, which is the same on every run and in every worker."""
    return orjson.dumps(answer, option=orjson.OPT_APPEND_NEWLINE)


def _only(*allowed: str) -> None:
    for name in request.args:
        if name not in allowed:
            raise BadParameter(f"unknown parameter '{name}'; known: {', '.join(allowed) or 'none'}", param=name)


@bp.get("/search")
def search():
    engine = search_service().engine()

    def checked() -> tuple[tuple, SearchRequest]:
        search_request = parse_request(_params(), engine.taxonomy, search_limits())
        return search_request.cache_key(), search_request

    response = _cached(
        engine.version, checked, lambda search_request: _public_result(engine.search(search_request, AUDIENCE)),
        lambda search_request, answer: SearchRecord.of_search(search_request, answer, phone_regions()),
    )
    if g.answer_summary is not None and analytics_wanted():
        insights_recorder().add("searches", g.answer_summary.row())
    return response


@bp.post("/events")
def events():
    """A click or a "was this helpful?" answer, from the widget's or a page's sendBeacon."""
    _only()
    check_event_origin()
    if (request.content_length or 0) > MAX_EVENT_BYTES:
        raise BadParameter(f"the body must be at most {MAX_EVENT_BYTES} bytes", param="body")
    if request.mimetype not in EVENT_TYPES:
        raise BadParameter(f"Content-Type must be {' or '.join(EVENT_TYPES)}", param="Content-Type")
    body = request.stream.read(MAX_EVENT_BYTES + 1)
    if len(body) > MAX_EVENT_BYTES:
        raise BadParameter(f"the body must be at most {MAX_EVENT_BYTES} bytes", param="body")
    engine = search_service().engine()
    table, row = parse_event(body, lambda slug: engine.is_visible(slug, AUDIENCE))
    insights_recorder().add(table, row)
    return Response(status=204)


def check_event_origin() -> None:
    """A page on another site may send events only if it may call the API (KB_CORS_ORIGINS):
    a beacon is a simple request that no preflight stops, so the origin is checked here."""
    origin = request.headers.get("Origin")
    if origin is None or origin == request.host_url.rstrip("/"):
        return
    if origin.rstrip("/") not in current_app.extensions["kb.cors_origins"]:
        raise BadParameter(f"events from {origin[:100]} are not accepted (KB_CORS_ORIGINS)", param="Origin", status=403, code="forbidden_origin")


def _public_result(result: dict) -> dict:
    for hit in result["hits"]:
        hit.pop("audience", None)
    return result


@bp.get("/articles/<slug>")
def article(slug: str):
    engine = search_service().engine()

    def checked() -> tuple[str, str]:
        _only()
        return slug, slug

    return _cached(engine.version, checked, lambda _: {k: v for k, v in engine.article(slug, AUDIENCE).items() if k not in STAFF_ONLY_FIELDS})


@bp.get("/suggest")
def suggest():
    engine = search_service().engine()

    def checked() -> tuple[str, str]:
        _only("q")
        prefix = query_text(_params(), search_limits())
        return prefix, prefix

    # Keyed by the prefix as typed: the answer repeats it ("query"), so "Sca" and "sca" are two answers.
    return _cached(engine.version, checked, lambda prefix: {"query": prefix, "suggestions": engine.suggest(prefix, AUDIENCE)})


@bp.get("/facets")
def facets():
    engine = search_service().engine()

    def checked() -> tuple[str, None]:
        _only()
        return "facets", None

    return _cached(engine.version, checked, lambda _: {"facets": engine.facet_totals(AUDIENCE)})


@bp.get("/openapi.json")
def openapi():
    _only()
    engine = search_service().engine()
    public_slugs = [article["slug"] for article in engine.articles(AUDIENCE)]
    return jsonify(openapi_document(engine.taxonomy, search_limits(), public_slugs))


def openapi_document(taxonomy: Taxonomy | None = None, limits: Limits | None = None, public_slugs: list[str] | None = None) -> dict:
    """The API's OpenAPI document; served, it states this service's facet values, limits and
    public articles exactly."""
    text = resources.files("kb").joinpath("openapi.yaml").read_text(encoding="utf-8")
    document = json.loads(json.dumps(yaml.safe_load(text)))
    if public_slugs is not None:
        for event in document["components"]["schemas"]["Event"]["oneOf"]:
            event["properties"]["slug"]["enum"] = public_slugs
    for path in ("/api/v1/search", "/api/v1/suggest"):
        for parameter in document["paths"][path]["get"]["parameters"]:
            schema = parameter["schema"]
            if taxonomy is not None and parameter["name"] in taxonomy.facets:
                # An empty value means "any", as an HTML form's blank choice sends it.
                schema["items"]["enum"] = ["", *taxonomy.facet(parameter["name"]).slugs]
            if parameter["name"] == "q" and limits:
                schema["maxLength"] = limits.max_query_length
            if parameter["name"] == "page" and limits:
                schema["anyOf"][0]["maximum"] = limits.max_page
    return document
