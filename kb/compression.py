"""Compressed answers (Flask-Compress: Brotli or gzip, whichever the client accepts) for
HTML, JSON, CSS, JavaScript, SVG and XML, with `Vary: Accept-Encoding` and ETags that name the
encoding ("abc:br"), so that a revalidation still gets its 304.

Never compressed: anything rendered for signed-in staff and the sign-in pages. They carry a
CSRF token next to text the request chose (a query, a name), the mix a BREACH attacker needs
to read the token out of compressed sizes. Patients' pages hold no secret, so they are compressed.
"""
from __future__ import annotations

from flask import Flask, g, request
from flask_compress import Compress

MIMETYPES = [
    "text/html", "application/json", "text/css", "text/javascript", "application/javascript",
    "image/svg+xml", "application/xml", "text/xml", "text/plain", "text/csv",
]


def compress_answers(app: Flask) -> None:
    """Call before anything else adds after-request hooks: compression must be the last of them."""
    app.config.setdefault("COMPRESS_MIMETYPES", MIMETYPES)
    # Brotli at 6 makes the widget 7.1 KB where gzip makes 7.6 and zstd at its default 8.0 (and
    # costs 2.4 ms for it here); every browser that offers zstd offers Brotli.
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    app.config.setdefault("COMPRESS_BR_LEVEL", 6)
    app.config["COMPRESS_REGISTER"] = False  # registered below, with the exceptions
    # Streamed answers (Flask's /static/ files) stay as they are: compressing a stream loses the
    # file's close. The pages' files come whole from /assets/ (kb/assets.py) and are compressed.
    app.config.setdefault("COMPRESS_STREAMS", False)
    compressor = Compress(app)

    @app.after_request
    def _compressed(response):
        if g.get("staff_name") or request.blueprint == "auth":
            return response
        return compressor.after_request(response)


def etag_of(sent: str) -> str:
    """The ETag a client sent, without the encoding a compressed answer added to it."""
    return sent.rsplit(":", 1)[0] if sent.rsplit(":", 1)[-1] in ("zstd", "br", "gzip", "deflate") else sent


def still_fresh(etag: str) -> bool:
    """Whether the request's If-None-Match names this answer, compressed ("abc:br") or not."""
    sent = request.if_none_match
    return sent.star_tag or any(etag_of(tag) == etag for tag in sent.as_set())
