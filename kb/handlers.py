"""App-wide error handlers: one JSON error shape under /api/, an HTML page elsewhere, never a stack trace."""
from __future__ import annotations

import logging

from flask import current_app, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from kb import security
from kb.errors import KbError

log = logging.getLogger(__name__)

HTTP_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "too_large", 429: "rate_limited"}
#: Header the search page's script sends to get only the regions it swaps in.
PARTIAL_HEADER = "X-KB-Partial"


def register_error_handlers(app) -> None:
    app.register_error_handler(KbError, _respond)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)


def is_partial() -> bool:
    return request.headers.get(PARTIAL_HEADER) == "1"


def _respond(error: KbError):
    if request.path.startswith("/api/"):
        response = jsonify(error.to_dict())
        response.status_code = error.status
        return response
    template = "errors/_message.html" if is_partial() else "errors/error.html"
    return render_template(template, error=error), error.status


def _csrf_error(error: CSRFError):
    log.info("CSRF check failed on %s: %s", request.path, error.description)
    return _respond(
        KbError(
            "This form has expired or did not come from this site. Reload the page and try again.",
            status=400,
            code="csrf_failed",
        )
    )


def _http_error(error: HTTPException):
    code = HTTP_CODES.get(error.code or 500, "http_error")
    message = error.description or error.name
    if error.code == 429:  # Flask-Limiter's description is the limit alone, e.g. "20 per 1 second"
        message = f"Too many requests: the limit is {message}. Retry-After says when to try again."
    response = current_app.make_response(_respond(KbError(message, status=error.code, code=code)))
    if error.code == 405 and getattr(error, "valid_methods", None):
        response.headers["Allow"] = ", ".join(error.valid_methods)
    if error.code == 429:
        response.headers["Retry-After"] = str(security.retry_after(current_app))
    return response


def _unexpected(error: Exception):
    log.exception("unexpected error on %s", request.path)
    return _respond(KbError("internal error; the details are in the server log"))
