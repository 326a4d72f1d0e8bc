"""What search engines and shared links read: a sitemap of public articles only, robots.txt,
descriptions, canonical links from the configured address (never from a header), Open Graph and
schema.org data, and noindex where a page should not be found."""
from __future__ import annotations

import json
import re
from xml.etree import ElementTree

import pytest

from conftest import FIXTURES, make_app
from helpers import sign_in

BASE = "https://kb.clinic.example"


@pytest.fixture
def site(built_index, tmp_path):
    app = make_app(FIXTURES, built_index, tmp_path / "instance", PUBLIC_BASE_URL=BASE + "/", RATELIMIT_ENABLED=False)
    yield app
    app.extensions["kb.search"].close()


def meta(page: str, attribute: str, name: str) -> str | None:
    found = re.search(rf'<meta {attribute}="{re.escape(name)}" content="([^"]*)"', page)
    return found.group(1) if found else None


def test_the_sitemap_lists_every_public_article_and_no_staff_one(site):
    client = site.test_client()
    answer = client.get("/sitemap.xml")
    assert answer.mimetype == "application/xml"
    urls = ElementTree.fromstring(answer.data).findall("{http://www.sitemaps.org/schemas/sitemap/0.9}url")
    locations = {url.findtext("{http://www.sitemaps.org/schemas/sitemap/0.9}loc"): url.findtext("{http://www.sitemaps.org/schemas/sitemap/0.9}lastmod") for url in urls}
    public = {f"{BASE}/articles/{a['slug']}": a["updated"] for a in site.extensions["kb.search"].engine().articles("public")}
    assert locations == {f"{BASE}/": None, **public}
    assert not any("staff-screening" in location for location in locations)


def test_robots_names_the_sitemap_and_keeps_crawlers_off_sign_in_insights_and_the_api(site):
    text = site.test_client().get("/robots.txt").get_data(as_text=True)
    for path in ("/login", "/insights", "/api/"):
        assert f"Disallow: {path}\n" in text
    assert f"Sitemap: {BASE}/sitemap.xml" in text and "Disallow: /\n" not in text


def test_an_article_page_describes_itself_to_search_engines_and_shared_links(site):
    page = site.test_client().get("/articles/ice-pick-scars").get_data(as_text=True)
    article = site.test_client().get("/api/v1/articles/ice-pick-scars").get_json()
    assert meta(page, "name", "description") == article["summary"]
    assert f'<link rel="canonical" href="{BASE}/articles/ice-pick-scars">' in page
    assert meta(page, "property", "og:title") == article["title"] and meta(page, "property", "og:url") == f"{BASE}/articles/ice-pick-scars"
    assert meta(page, "name", "twitter:card") == "summary" and meta(page, "name", "robots") is None
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1))
    assert data["@context"] == "https://schema.org" and data["@type"] == "MedicalWebPage"
    assert data["dateModified"] == article["updated"] and data["url"] == f"{BASE}/articles/ice-pick-scars"
    assert data["lastReviewed"] == article["reviewed"]["on"]
    assert data["reviewedBy"] == {"@type": "Person", "name": article["reviewed"]["by"]}


def test_the_address_never_comes_from_a_header(built_index, tmp_path):
    app = make_app(FIXTURES, built_index, tmp_path / "instance", PROXY_COUNT=1)
    try:
        client = app.test_client()
        headers = {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}
        page = client.get("/articles/ice-pick-scars", headers=headers).get_data(as_text=True)
        assert "evil.example" not in page and 'rel="canonical"' not in page
        assert client.get("/sitemap.xml", headers=headers).status_code == 404
        assert "evil.example" not in client.get("/robots.txt", headers=headers).get_data(as_text=True)
    finally:
        app.extensions["kb.search"].close()


@pytest.mark.parametrize("path, indexable", [
    ("/", True), ("/articles/what-is-microneedling", True),
    ("/?q=ice+pick", False), ("/?procedure=microneedling", False), ("/login", False), ("/widget", False), ("/no-such-page", False),
])
def test_only_the_search_page_and_articles_are_indexable(site, path, indexable):
    page = site.test_client().get(path).get_data(as_text=True)
    assert (meta(page, "name", "robots") is None) is indexable, path
    if indexable:
        assert meta(page, "name", "description")


def test_staff_pages_are_never_indexable(site):
    site.extensions["kb.accounts"].add("nurse", "correct horse battery")
    client = site.test_client()
    sign_in(client, password="correct horse battery")
    for path in ("/insights", "/articles/staff-screening"):
        assert meta(client.get(path).get_data(as_text=True), "name", "robots") == "noindex", path
