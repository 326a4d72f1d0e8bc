"""The widget's reader in real Chromium, on a clinic's page from another origin: a chosen result
opens inside the widget (by mouse and by keyboard), the host page never navigates or opens a
tab, Back and Escape return to the same results, "Was this helpful?" is sent once, links
between articles stay in the reader, all results can be paged through, and the theme holds."""
from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from accessibility import serious_violations
from test_widget_browser import box, host_page, options, style

pytestmark = pytest.mark.browser


@pytest.fixture
def context(new_context):
    return new_context(viewport={"width": 1000, "height": 900})


def events(page, live_site) -> list[dict]:
    sent: list[dict] = []
    page.on("request", lambda r: sent.append(json.loads(r.post_data)) if r.url == f"{live_site.url}/api/v1/events" else None)
    return sent


def reader(page):
    return page.locator("#kb-search .reader")


def test_a_result_opens_in_the_reader_and_back_returns_to_the_same_results(context, live_site, clinic_sites, screenshots):
    page = context.new_page()
    host = host_page(clinic_sites["allowed"], live_site.url, name="reader.html", css="")
    page.goto(host)
    sent = events(page, live_site)
    box(page).fill("ice pick scars")
    expect(options(page).first).to_be_visible()
    titles = options(page).locator(".title").all_inner_texts()
    options(page).nth(1).click()
    expect(reader(page).locator(":scope > h2")).to_have_text(titles[1])
    expect(reader(page).locator(":scope > h2")).to_be_focused()
    expect(reader(page).get_by_text("Was this helpful?")).to_be_visible()
    expect(reader(page).locator(".meta")).to_contain_text("Updated")
    expect(reader(page).locator(".body p").first).not_to_be_empty()  # the article's own text
    assert page.url == host and len(context.pages) == 1  # never navigated, never a new tab
    expect(page.locator("#kb-search [role=listbox]")).to_be_hidden()
    page.screenshot(path=screenshots / "widget-reader.png", full_page=True)
    assert serious_violations(page) == []

    # One feedback event, with its reason, for one answer.
    reader(page).get_by_role("button", name="No").click()
    reader(page).get_by_role("button", name="It did not answer my question").click()
    expect(reader(page).get_by_text("Thank you for your answer.")).to_be_visible()
    feedback = [event for event in sent if event["type"] == "feedback"]
    expect(reader(page).get_by_role("button", name="Yes")).to_have_count(0)
    assert feedback == [{"type": "feedback", "slug": feedback[0]["slug"], "helpful": False, "reason": "not_answered"}]
    assert [event["position"] for event in sent if event["type"] == "click"] == [2]

    reader(page).get_by_role("button", name="Back to results").click()
    expect(reader(page)).to_be_hidden()
    expect(options(page)).to_have_count(len(titles))
    expect(options(page).nth(1)).to_have_attribute("aria-selected", "true")
    expect(box(page)).to_be_focused()
    assert page.url == host


def test_the_keyboard_opens_a_result_and_escape_returns(context, live_site, clinic_sites):
    page = context.new_page()
    host = host_page(clinic_sites["allowed"], live_site.url, name="keys.html", css="")
    page.goto(host)
    box(page).fill("boxcar scars")
    expect(options(page).first).to_be_visible()
    box(page).press("ArrowDown")
    chosen = options(page).first.get_attribute("id")
    box(page).press("Enter")
    expect(reader(page).locator(":scope > h2")).to_be_focused()
    page.keyboard.press("Escape")
    expect(reader(page)).to_be_hidden()
    expect(box(page)).to_have_attribute("aria-activedescendant", chosen)
    assert page.url == host and len(context.pages) == 1


def test_links_between_articles_open_in_the_reader(context, live_site, clinic_sites):
    page = context.new_page()
    host = host_page(clinic_sites["allowed"], live_site.url, name="links.html", css="")
    page.goto(host)
    box(page).fill("acne scar types")
    options(page).filter(has=page.locator('[data-href$="/articles/acne-scar-types"]')).click()
    link = reader(page).locator('.body a[href$="/articles/ice-pick-scars"]').first
    expect(link).to_be_visible()
    link.click()
    expect(reader(page).locator(":scope > h2")).to_have_text("Ice pick scars")
    assert page.url == host and len(context.pages) == 1


def test_data_open_page_keeps_opening_the_article_page(context, live_site, clinic_sites):
    page = context.new_page()
    page.goto(host_page(clinic_sites["allowed"], live_site.url, name="open-page.html", attributes=' data-open="page"', css=""))
    box(page).fill("ice pick scars")
    options(page).first.click()
    page.wait_for_url(f"{live_site.url}/articles/*")


def test_more_results_pages_through_every_answer(context, live_site, clinic_sites):
    page = context.new_page()
    page.goto(host_page(clinic_sites["allowed"], live_site.url, name="paging.html", attributes=' data-results="2"', css=""))
    box(page).fill("microneedling scars")
    expect(options(page)).to_have_count(2)
    total = int(page.locator("#kb-search .status").inner_text().split(" of ")[1].split()[0])
    assert total > 4
    more = page.locator("#kb-search").get_by_role("button", name="More results")
    for shown in range(4, total + 2, 2):
        more.click()
        expect(options(page)).to_have_count(min(shown, total))
    expect(more).to_be_hidden()
    slugs = options(page).locator(".title").evaluate_all("nodes => nodes.map(n => n.dataset.href)")
    assert len(set(slugs)) == total  # every answer once


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_clinics_colours_hold_in_both_themes(context, live_site, clinic_sites, screenshots, theme):
    page = context.new_page()
    css = "#kb-search { --kb-accent: rgb(122, 31, 92); --kb-selected: rgb(250, 235, 245); }" + (" body { background: #111; }" if theme == "dark" else "")
    attributes = ' data-theme="dark"' if theme == "dark" else ""
    page.goto(host_page(clinic_sites["allowed"], live_site.url, name=f"theme-{theme}.html", attributes=attributes, css=css))
    box(page).fill("ice pick scars")
    expect(options(page).first).to_be_visible()
    box(page).press("ArrowDown")
    expect(options(page).first).to_have_attribute("aria-selected", "true")
    assert style(options(page).first.locator(".title"), "color") == "rgb(122, 31, 92)"
    assert style(options(page).first, "background-color") == "rgb(250, 235, 245)"
    page.screenshot(path=screenshots / f"widget-results-{theme}.png", full_page=True)
    box(page).press("Enter")
    expect(reader(page).locator(":scope > h2")).to_be_visible()
    assert style(reader(page).get_by_role("button", name="Yes"), "color") == "rgb(122, 31, 92)"
    page.screenshot(path=screenshots / f"widget-reader-{theme}.png", full_page=True)


@pytest.mark.parametrize("width", [375, 1280])
def test_the_developer_page_is_laid_out_cleanly_and_copies_the_snippet(new_context, live_site, screenshots, width):
    context = new_context(viewport={"width": width, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_site.url)
    page = context.new_page()
    try:
        page.goto(f"{live_site.url}/widget?open=page&new_tab=1&results=3")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        form = page.locator(".options-form").bounding_box()
        for field in page.locator(".options-form input, .options-form select").all():
            edge = field.bounding_box()
            assert form["x"] <= edge["x"] and edge["x"] + edge["width"] <= form["x"] + form["width"] + 0.5
        number = page.locator("#results")
        assert style(number, "min-height") == "44px" and style(number, "border-top-style") == "solid"
        page.screenshot(path=screenshots / f"widget-page-{width}.png", full_page=True)
        assert serious_violations(page) == []
        page.get_by_role("button", name="Copy the snippet").click()
        expect(page.locator(".copy-status")).to_have_text("Copied.")
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied == page.locator("#snippet").inner_text()
        assert 'data-open="page"' in copied and 'data-new-tab="true"' in copied and 'data-results="3"' in copied
    finally:
        context.close()
