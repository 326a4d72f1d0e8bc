"""In real Chromium against `kb serve`: the insights page at 1280 and 375 px (readable, keyboard,
no serious accessibility violation), and the widget, the search page and article pages sending
their settled searches, clicks and "was this helpful?" answers."""
from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from accessibility import serious_violations
from helpers import PASSWORD
from test_widget_browser import box, host_page, options

pytestmark = pytest.mark.browser


@pytest.fixture
def context(new_context):
    return new_context()


def signed_in(context, live_site, width: int):
    page = context.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_site.url}/login?next=/insights")
    page.fill("#name", "nurse")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/insights$"))
    return page


@pytest.mark.parametrize("width", [1280, 375])
def test_the_insights_page_reads_well_and_passes_the_audit(context, live_site, screenshots, width):
    page = signed_in(context, live_site, width)
    expect(page.get_by_role("heading", name="Search insights")).to_be_visible()
    expect(page.get_by_role("heading", name="Words no article mentions")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scroll
    page.screenshot(path=str(screenshots / f"insights-{width}.png"), full_page=True)
    assert serious_violations(page) == []


def test_the_range_is_chosen_with_the_keyboard(context, live_site):
    page = signed_in(context, live_site, 1280)
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "Last 7 days":
            break
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/insights\?days=7$"))
    expect(page.get_by_role("link", name="Last 7 days")).to_have_attribute("aria-current", "page")


def test_the_widget_records_the_settled_search_and_the_click(context, live_site, clinic_sites):
    page = context.new_page()
    page.goto(host_page(clinic_sites["allowed"], live_site.url, name="insights.html", css=""))
    typed = []
    page.on("request", lambda r: typed.append(r.url) if "/api/v1/search?" in r.url else None)
    with page.expect_request(lambda r: "/api/v1/search?" in r.url and "analytics=true" in r.url, timeout=15000) as settled:
        box(page).fill("ice pick scars")
        expect(options(page).first).to_be_visible()
    assert all("analytics=false" in url for url in typed[:-1])  # as-you-type searches are not recorded
    assert "q=ice+pick+scars" in settled.value.url
    search_id = page.evaluate(f"fetch({json.dumps(settled.value.url)}).then(r => r.json()).then(b => b.search_id)")
    first = options(page).first
    slug = first.locator(".title").get_attribute("data-href").rsplit("/", 1)[1]
    with page.expect_request(lambda r: r.url.endswith("/api/v1/events")) as beacon:
        first.click()
    assert json.loads(beacon.value.post_data) == {"type": "click", "search_id": search_id, "slug": slug, "position": 1}
    assert beacon.value.headers["content-type"].startswith("text/plain")


def test_a_visitor_answers_was_this_helpful_on_an_article_page(context, live_site, screenshots):
    page = context.new_page()
    page.goto(f"{live_site.url}/articles/ice-pick-scars")
    page.get_by_role("button", name="No").click()
    page.get_by_label("It looks out of date").check()
    with page.expect_response(lambda r: r.url.endswith("/api/v1/events")) as answer:
        page.get_by_role("button", name="Send").click()
    assert answer.value.status == 204
    assert json.loads(answer.value.request.post_data) == {"type": "feedback", "slug": "ice-pick-scars", "helpful": False, "reason": "out_of_date"}
    expect(page.get_by_role("status")).to_contain_text("Thank you")
    page.screenshot(path=str(screenshots / "article-feedback.png"))
    assert serious_violations(page) == []


def test_the_search_page_records_a_visitors_settled_search_and_click(context, live_site):
    page = context.new_page()
    page.goto(f"{live_site.url}/")
    with page.expect_request(lambda r: r.url.startswith(f"{live_site.url}/api/v1/search?q=boxcar"), timeout=15000):
        page.fill("#q", "boxcar")
    with page.expect_request(lambda r: r.url.endswith("/api/v1/events")) as beacon:
        page.locator(".hit-title a").first.click()
    event = json.loads(beacon.value.post_data)
    assert event["type"] == "click" and event["position"] == 1


@pytest.mark.parametrize("path", ["/", "/?q=how+much+does+it+cost", "/?q=eczema", "/articles/microneedling-vs-laser-and-peels", "/login", "/widget"])
def test_public_pages_pass_the_accessibility_audit(context, live_site, path):
    page = context.new_page()
    page.goto(f"{live_site.url}{path}")
    assert serious_violations(page) == []


def test_the_widget_passes_the_accessibility_audit(context, live_site, clinic_sites):
    page = context.new_page()
    page.goto(host_page(clinic_sites["allowed"], live_site.url, name="audit.html", css=""))
    box(page).fill("bleeding after treatment")  # a notice, and a word no article mentions
    expect(page.locator("#kb-search [role=status]")).to_contain_text("No article mentions")
    assert serious_violations(page) == []
    box(page).fill("ice pick scars")  # results
    expect(options(page).first).to_be_visible()
    assert serious_violations(page) == []
