"""Blueprint `widget`: the embeddable search widget (`/widget.js`) and its page for web developers (`/widget`)."""
from __future__ import annotations

import functools
import hashlib
import html
import logging
from dataclasses import dataclass
from pathlib import Path

from flask import Blueprint, Response, current_app, render_template, request

from kb.compression import still_fresh
from kb.errors import BadParameter
from kb.extensions import branding, search_service
from kb.parameters import facet_values
from kb.settings import split_origins
from kb.taxonomy import FACET_KEYS

log = logging.getLogger(__name__)
bp = Blueprint("widget", __name__)

#: The embed snippet's URL has no version in it, so caches revalidate it: five minutes fresh,
#: then a day in which a cached copy may be used while it is checked (stale-while-revalidate).
SCRIPT_MAX_AGE, SCRIPT_STALE_SECONDS = 300, 86400
RESULTS_DEFAULT, RESULTS_MAX = 5, 10


@dataclass(frozen=True)
class Script:
    body: bytes
    etag: str


#: The widget's default accent as written in widget.js; the clinic's ACCENT_COLOUR takes its place.
DEFAULT_ACCENT = b'accent: "#0b5cad"'


def widget_script() -> Script:
    """The widget's source, with the clinic's accent as its default, and its content hash; read
    again only when the file changes."""
    path = Path(current_app.static_folder) / "widget.js"
    return _read_script(str(path), path.stat().st_mtime_ns, branding().accent)


@functools.lru_cache(maxsize=4)
def _read_script(path: str, modified_ns: int, accent: str) -> Script:
    body = Path(path).read_bytes().replace(DEFAULT_ACCENT, f'accent: "{accent}"'.encode("ascii"), 1)
    return Script(body, hashlib.sha256(body).hexdigest()[:20])


@bp.get("/widget.js")
def script():
    current = widget_script()
    if still_fresh(current.etag):
        response = Response(status=304)
    else:
        response = Response(current.body, mimetype="text/javascript")
    response.set_etag(current.etag)
    response.cache_control.public = True
    response.cache_control.max_age = SCRIPT_MAX_AGE
    response.cache_control.stale_while_revalidate = SCRIPT_STALE_SECONDS
    return response


@dataclass(frozen=True)
class WidgetOptions:
    """What a web developer may set on the script tag; the page shows the snippet for a chosen set."""

    placeholder: str = ""
    results: int = RESULTS_DEFAULT
    new_tab: bool = False
    theme: str = ""
    facets: tuple[tuple[str, str], ...] = ()
    #: "" opens a chosen article in the widget's reader; "page" opens the article page instead.
    open: str = ""

    def attributes(self) -> list[tuple[str, str]]:
        pairs = [("data-target", "#kb-search")]
        if self.placeholder:
            pairs.append(("data-placeholder", self.placeholder))
        if self.results != RESULTS_DEFAULT:
            pairs.append(("data-results", str(self.results)))
        if self.open:
            pairs.append(("data-open", self.open))
        if self.new_tab and self.open == "page":
            pairs.append(("data-new-tab", "true"))
        if self.theme:
            pairs.append(("data-theme", self.theme))
        for key, values in self.facets:
            pairs.append((f"data-{key.replace('_', '-')}", values))
        return pairs

    def snippet(self, script_url: str) -> str:
        """The two lines to paste, as text (the page escapes it for display)."""
        attributes = "".join(f' {name}="{html.escape(value)}"' for name, value in self.attributes())
        return f'<div id="kb-search"></div>\n<script src="{html.escape(script_url)}"{attributes} defer></script>'


def parse_options(args, taxonomy) -> WidgetOptions:
    placeholder = args.get("placeholder", "").strip()[:80]
    try:
        results = int(args.get("results") or RESULTS_DEFAULT)
    except ValueError:
        raise BadParameter(f"results must be a whole number from 1 to {RESULTS_MAX}", param="results") from None
    if not 1 <= results <= RESULTS_MAX:
        raise BadParameter(f"results must be between 1 and {RESULTS_MAX}", param="results")
    theme = args.get("theme", "")
    if theme not in ("", "dark"):
        raise BadParameter("theme must be empty or dark", param="theme")
    opens = args.get("open", "")
    if opens not in ("", "page"):
        raise BadParameter("open must be empty (the widget's reader) or page", param="open")
    facets = []
    for key in FACET_KEYS:
        values = facet_values(args.getlist(key), key, taxonomy)
        if values:
            facets.append((key, ",".join(dict.fromkeys(values))))
    return WidgetOptions(placeholder, results, args.get("new_tab") in ("1", "true", "on"), theme, tuple(facets), opens)


@bp.get("/widget")
def developer_page():
    taxonomy = search_service().engine().taxonomy
    options = parse_options(request.args, taxonomy)
    return render_template(
        "widget/index.html",
        options=options,
        kb_origin=request.host_url.rstrip("/"),
        allowed_origins=split_origins(current_app.config["CORS_ORIGINS"]),
        taxonomy=taxonomy,
        results_max=RESULTS_MAX,
    )
