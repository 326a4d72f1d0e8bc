"""Blueprint `assets`: the pages' stylesheets, scripts and icon under content-hashed URLs
(`/assets/<digest>/kb.css`), kept by browsers and CDNs for a year: a changed file has a new URL,
so it reaches every browser at once. Files are read once (again when they change on disk) and
served whole, so they are compressed like any answer. `/widget.js` keeps its stable URL.
"""
from __future__ import annotations

import functools
import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path

from flask import Blueprint, Response, current_app, request

from kb.errors import NotFound

bp = Blueprint("assets", __name__)
#: A year, the longest any cache honours; `immutable` spares the revalidation on reload.
YEAR = 365 * 86400
#: What a URL with an old digest is kept for: it is served today's file, which may yet change.
STALE_SECONDS = 300
DIGEST_LENGTH = 16


@dataclass(frozen=True)
class Asset:
    body: bytes
    digest: str
    mimetype: str


def asset(filename: str) -> Asset:
    """One file of the static folder (nothing outside it), read again only when it changes."""
    folder = Path(current_app.static_folder).resolve()
    path = (folder / filename).resolve()
    if folder not in path.parents or not path.is_file():
        raise NotFound(f"no asset '{filename}'")
    return _read(str(path), path.stat().st_mtime_ns)


@functools.lru_cache(maxsize=64)
def _read(path: str, modified_ns: int) -> Asset:
    body = Path(path).read_bytes()
    mimetype = mimetypes.guess_type(path)[0] or "application/octet-stream"
    return Asset(body, hashlib.sha256(body).hexdigest()[:DIGEST_LENGTH], mimetype)


def asset_url(filename: str) -> str:
    """The file's URL, named by its content."""
    return f"/assets/{asset(filename).digest}/{filename}"


@bp.get("/assets/<digest>/<path:filename>")
def serve(digest: str, filename: str):
    found = asset(filename)
    response = Response(found.body, mimetype=found.mimetype)
    response.cache_control.public = True
    if digest == found.digest:
        response.cache_control.max_age = YEAR
        response.cache_control.immutable = True
    else:  # a page from before the file changed: today's file, briefly
        response.cache_control.max_age = STALE_SECONDS
    response.set_etag(found.digest)
    return response.make_conditional(request)


@bp.app_context_processor
def _asset_urls():
    return {"asset_url": asset_url}
