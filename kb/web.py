"""Blueprint `web`: staff pages; and the app-wide error handlers (JSON under /api/, HTML elsewhere)."""
from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from kb.errors import KbError
from kb.search import SearchService, parse_request

log = logging.getLogger(__name__)
bp = Blueprint("web", __name__)

HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 413: "too_large", 429: "rate_limited"}


def service() -> SearchService:
    return current_app.extensions["kb.search"]


@bp.get("/")
def home():
    engine = service().engine()
    params = {name: request.args.getlist(name) for name in request.args}
    search_request = parse_request(params, engine.taxonomy, max_query_length=int(current_app.config["MAX_QUERY_LENGTH"]))
    result = engine.search(search_request, "public")
    return render_template("web/search.html", result=result, request_args=search_request)


@bp.get("/articles/<slug>")
def article(slug: str):
    engine = service().engine()
    return render_template("web/article.html", article=engine.article(slug, "public"))


def register_error_handlers(app) -> None:
    app.register_error_handler(KbError, _kb_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)


def _respond(error: KbError):
    if request.path.startswith("/api/"):
        response = jsonify(error.to_dict())
        response.status_code = error.status
        return response
    return render_template("errors/error.html", error=error), error.status


def _kb_error(error: KbError):
    return _respond(error)


def _http_error(error: HTTPException):
    code = HTTP_CODES.get(error.code or 500, "http_error")
    response = _respond(KbError(error.description or error.name, status=error.code, code=code))
    if error.code == 405 and hasattr(error, "valid_methods") and error.valid_methods:
        response = current_app.make_response(response)
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


def _unexpected(error: Exception):
    log.exception("unexpected error on %s", request.path)
    return _respond(KbError("internal error; the details are in the server log"))
