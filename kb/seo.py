"""Blueprint `seo`: what search engines and shared links read. `/sitemap.xml` lists every public
article with its last update (never a staff-only one); `/robots.txt` names it and keeps crawlers
off the sign-in, insights and API paths. Page tags (description, canonical, Open Graph, JSON-LD)
are in the templates; `public_url()` gives them their absolute addresses.

Absolute addresses come from PUBLIC_BASE_URL only: a Host or X-Forwarded-Host header is
anybody's to send, and a canonical link or sitemap built from it would send search engines
wherever the sender liked. `kb serve` sets it to the address it serves on when it is not set;
without it pages carry no canonical link and there is no sitemap.
"""
from __future__ import annotations

import logging
from xml.etree import ElementTree

from flask import Blueprint, Response, current_app

from kb.articles import PUBLIC
from kb.errors import NotFound
from kb.extensions import branding, search_service

log = logging.getLogger(__name__)
bp = Blueprint("seo", __name__)
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
#: Paths no crawler should walk: sign-in, staff pages and the API (a crawler's searches are not a patient's).
DISALLOWED = ("/login", "/logout", "/insights", "/api/")


def base_url() -> str | None:
    return str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/") or None


def public_url(path: str) -> str | None:
    """The absolute address of a path of this site, or None when PUBLIC_BASE_URL is not set."""
    base = base_url()
    return f"{base}{path}" if base else None


@bp.get("/sitemap.xml")
def sitemap():
    if base_url() is None:
        raise NotFound("no sitemap: set KB_PUBLIC_BASE_URL to the site's public address")
    urlset = ElementTree.Element("urlset", xmlns=SITEMAP_NS)
    _url(urlset, public_url("/"), None)
    for article in search_service().engine().articles(PUBLIC):
        _url(urlset, public_url(article["url"]), article["updated"])
    body = ElementTree.tostring(urlset, encoding="utf-8", xml_declaration=True)
    response = Response(body, mimetype="application/xml")
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    return response


def _url(urlset, location: str, modified: str | None) -> None:
    entry = ElementTree.SubElement(urlset, "url")
    ElementTree.SubElement(entry, "loc").text = location
    if modified:
        ElementTree.SubElement(entry, "lastmod").text = modified


@bp.get("/robots.txt")
def robots():
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in DISALLOWED)]
    if base_url():
        lines.append(f"Sitemap: {public_url('/sitemap.xml')}")
    response = Response("\n".join(lines) + "\n", mimetype="text/plain")
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    return response


def article_json_ld(article: dict, canonical: str | None) -> dict:
    """schema.org data of a public article page: a MedicalWebPage with its dates and, where the
    article states its clinical review, who reviewed it and when."""
    data = {
        "@context": "https://schema.org",
        "@type": "MedicalWebPage",
        "name": article["title"],
        "headline": article["title"],
        "description": article["summary"],
        "dateModified": article["updated"],
        "inLanguage": "en",
        "isPartOf": {"@type": "WebSite", "name": branding().name},
    }
    if canonical:
        data["url"] = canonical
    review = article.get("reviewed")
    if review:
        data["lastReviewed"] = review["on"]
        data["reviewedBy"] = {"@type": "Person", "name": review["by"]}
    return data


@bp.app_context_processor
def _public_urls():
    return {"public_url": public_url, "article_json_ld": article_json_ld}
