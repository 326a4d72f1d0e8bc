"""Article pages on a phone and on paper, in real Chromium against `kb serve`: no page scrolls
sideways at 375 px (wide tables scroll in their own box), a search box is there, and the printed
page has the text without the site's header, navigation, chips or buttons."""
from __future__ import annotations

import pytest
import yaml
from playwright.sync_api import expect

from accessibility import serious_violations
from conftest import PROJECT

pytestmark = pytest.mark.browser

PUBLIC_SLUGS = sorted(
    path.stem for path in (PROJECT / "articles").glob("*.md")
    if yaml.safe_load(path.read_text(encoding="utf-8").split("---")[1]).get("audience", "public") == "public"
)


@pytest.fixture
def phone(new_context):
    return new_context(viewport={"width": 375, "height": 740}, is_mobile=True)


def test_every_public_article_fits_a_phone(phone, live_site, screenshots, figures):
    assert len(PUBLIC_SLUGS) > 20
    page = phone.new_page()
    for slug in PUBLIC_SLUGS:
        page.goto(f"{live_site.url}/articles/{slug}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"{slug} is {width} px wide"
        expect(page.get_by_role("search").get_by_label("Search the articles")).to_be_visible()
    figures["article pages at 375 px wider than the screen"] = 0
    page.goto(f"{live_site.url}/articles/microneedling-vs-laser-and-peels")
    table = page.locator(".table-scroll").first
    expect(table).to_be_visible()
    assert table.evaluate("box => box.scrollWidth > box.clientWidth")  # the table scrolls, the page does not
    page.screenshot(path=screenshots / "article-375.png", full_page=True)
    assert serious_violations(page) == []


def test_the_search_box_on_an_article_page_searches(phone, live_site):
    page = phone.new_page()
    page.goto(f"{live_site.url}/articles/ice-pick-scars")
    page.get_by_label("Search the articles").fill("boxcar")
    page.get_by_label("Search the articles").press("Enter")
    page.wait_for_url(f"{live_site.url}/?q=boxcar")


def test_a_printed_article_keeps_the_text_and_link_addresses_only(new_context, live_site, screenshots):
    context = new_context(viewport={"width": 800, "height": 1000})
    page = context.new_page()
    try:
        page.goto(f"{live_site.url}/articles/acne-scar-types")
        page.emulate_media(media="print")
        for hidden in (".site-header", ".breadcrumb", ".article-search", ".chips", ".toc"):
            if page.locator(hidden).count():
                expect(page.locator(hidden).first).to_be_hidden()
        expect(page.locator("h1")).to_be_visible()
        link = page.locator('.article-body a[href="/articles/ice-pick-scars"]').first
        assert "/articles/ice-pick-scars" in link.evaluate("a => getComputedStyle(a, '::after').content")
        page.screenshot(path=screenshots / "article-print.png", full_page=True)
    finally:
        context.close()


def test_the_reasons_wait_until_a_visitor_says_no(phone, live_site):
    page = phone.new_page()
    page.goto(f"{live_site.url}/articles/ice-pick-scars")
    expect(page.get_by_role("button", name="No")).to_be_visible()
    expect(page.get_by_text("What was missing?")).to_be_hidden()
    page.get_by_role("button", name="No").click()
    expect(page.get_by_text("What was missing?")).to_be_visible()
