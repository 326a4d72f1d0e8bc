"""The embeddable widget in real Chromium, on clinic websites served from other origins (other ports)."""
from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

HOSTILE_CSS = """
input { display: none !important; }
a { font-size: 40px !important; color: rgb(255, 0, 0) !important; }
* { font-family: "Comic Sans MS", cursive !important; letter-spacing: 5px !important; }
ul, li { list-style: square !important; background: rgb(0, 255, 0) !important; }
mark { background: rgb(0, 0, 0) !important; }
#kb-search { font-size: 30px; color: rgb(0, 128, 0); --kb-accent: rgb(122, 31, 92); }
"""


def host_page(site, kb_url: str, name: str = "host.html", attributes: str = "", css: str = HOSTILE_CSS) -> str:
    """A clinic's page: its own CSS and content, and the widget embedded with the contract's two lines."""
    return site.page(name, f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>A clinic</title><style>{css}</style></head>
<body>
<h1>Our clinic</h1>
<a id="host-link" href="#">A link of the clinic's own</a>
<ul id="host-list"><li>An item of the clinic's own</li></ul>
<div id="kb-search"></div>
<script src="{kb_url}/widget.js" data-target="#kb-search"{attributes} defer></script>
</body></html>""")


@pytest.fixture
def page(new_context, live_site) -> Page:
    return new_context().new_page()


def api_searches(page: Page, live_site) -> list[str]:
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if r.url.startswith(f"{live_site.url}/api/v1/search") else None)
    return sent


def box(page: Page):
    return page.locator("#kb-search input")  # Playwright's CSS locators see into open shadow roots


def options(page: Page):
    return page.locator("#kb-search [role=option]")


def style(locator, prop: str) -> str:
    return locator.evaluate(f"element => getComputedStyle(element).getPropertyValue({json.dumps(prop)})")


def test_widget_searches_the_kb_host_and_keeps_its_styles_to_itself(page, live_site, clinic_sites, screenshots):
    page.clock.install()  # the widget's timers move only with the test's clock: no race with a busy machine
    page.goto(host_page(clinic_sites["allowed"], live_site.url))
    sent = api_searches(page, live_site)
    expect(box(page)).to_be_visible()  # the host's `input {display:none !important}` does not reach in
    box(page).press_sequentially("ice pick")
    page.clock.run_for(150)  # a pause shorter than the widget's 200 ms
    box(page).press_sequentially(" scars")
    assert sent == []
    page.clock.run_for(250)
    first_link = options(page).first.locator(".title")
    expect(first_link).to_have_attribute("data-href", f"{live_site.url}/articles/ice-pick-scars")
    assert len(sent) == 1, sent  # fourteen keystrokes, one search
    assert all(url.startswith(f"{live_site.url}/api/v1/search?") for url in sent)
    page.screenshot(path=screenshots / "widget-on-hostile-page.png", full_page=True)

    # The host's CSS has no effect inside the widget...
    assert style(first_link, "font-size") == "16px"
    assert style(first_link, "color") == "rgb(122, 31, 92)"  # ...except the theme hook it offers
    assert "Comic Sans" not in style(first_link, "font-family")
    assert style(first_link, "letter-spacing") == "normal"
    assert style(options(page).first, "background-color") != "rgb(0, 255, 0)"
    assert style(page.locator("#kb-search mark").first, "background-color") != "rgb(0, 0, 0)"
    # ...and the widget's CSS has none outside it.
    assert style(page.locator("#host-link"), "font-weight") == "400"
    assert style(page.locator("#host-list li"), "border-top-style") == "none"
    assert style(page.locator("#host-link"), "font-size") == "40px"

    # Snippets carry only <mark> as markup.
    tags = page.locator("#kb-search [role=option] p *").evaluate_all("nodes => nodes.map(n => n.tagName)")
    assert tags and set(tags) == {"MARK"}

    # The WAI-ARIA combobox: arrows move, Escape closes, Enter opens the article on the KB host.
    expect(box(page)).to_have_attribute("aria-expanded", "true")
    box(page).press("ArrowDown")
    expect(options(page).nth(0)).to_have_attribute("aria-selected", "true")
    box(page).press("ArrowDown")
    expect(options(page).nth(1)).to_have_attribute("aria-selected", "true")
    expect(options(page).nth(0)).to_have_attribute("aria-selected", "false")
    active = box(page).get_attribute("aria-activedescendant")
    assert active == options(page).nth(1).get_attribute("id")
    box(page).press("ArrowUp")
    expect(options(page).nth(0)).to_have_attribute("aria-selected", "true")
    box(page).press("Escape")
    expect(page.locator("#kb-search [role=listbox]")).to_be_hidden()
    expect(box(page)).to_have_value("ice pick scars")
    box(page).press("ArrowDown")  # reopens
    expect(options(page).first).to_be_visible()
    box(page).press("ArrowDown")
    box(page).press("Enter")  # the article opens in the widget's reader (tests/test_widget_reader_browser.py)
    expect(page.locator("#kb-search .reader h2")).to_have_text("Ice pick scars")
    assert page.url.endswith("/host.html")


def test_an_origin_not_allowed_gets_no_results_and_a_clear_message(page, live_site, clinic_sites):
    page.goto(host_page(clinic_sites["refused"], live_site.url))
    box(page).fill("microneedling cost")
    expect(page.locator("#kb-search [role=status]")).to_have_text("Search could not reach the clinic's articles. Please try again later.")
    expect(options(page)).to_have_count(0)


def test_typing_fast_sends_few_requests_and_a_late_older_answer_is_never_shown(page, live_site, clinic_sites):
    page.goto(host_page(clinic_sites["allowed"], live_site.url))
    held = []

    def hold_the_first(route):
        if "q=peel" in route.request.url and not held:
            held.append(route)  # the older answer is kept back until the newer one is on screen
        else:
            route.continue_()

    page.route(re.compile(r"/api/v1/search\?"), hold_the_first)
    box(page).fill("peel")
    page.wait_for_event("request", lambda request: "/api/v1/search?q=peel" in request.url)
    box(page).fill("numbing cream")
    expect(options(page).first.locator(".title")).to_have_attribute("data-href", re.compile(r"/articles/"))
    shown = options(page).locator(".title").evaluate_all("links => links.map(a => a.dataset.href)")
    assert held[0].request.failure == "net::ERR_ABORTED"  # the widget cancelled the older search
    held[0].continue_()
    expect(box(page)).to_have_value("numbing cream")
    assert options(page).locator(".title").evaluate_all("links => links.map(a => a.dataset.href)") == shown


def test_options_from_data_attributes(page, live_site, clinic_sites):
    url = host_page(
        clinic_sites["allowed"], live_site.url, "options.html",
        ' data-procedure="microneedling" data-side-effect="redness,swelling" data-placeholder="Ask us anything"'
        ' data-results="2" data-open="page" data-new-tab="true"',
    )
    page.goto(url)
    sent = api_searches(page, live_site)
    expect(box(page)).to_have_attribute("placeholder", "Ask us anything")
    box(page).fill("skin")
    expect(options(page)).to_have_count(2)
    assert "procedure=microneedling" in sent[-1] and "per_page=2" in sent[-1]
    assert "side_effect=redness&side_effect=swelling" in sent[-1]
    with page.expect_popup() as opened:  # data-new-tab: the article opens in a new tab
        options(page).first.click()
    opened.value.wait_for_load_state()
    assert opened.value.url.startswith(f"{live_site.url}/articles/")
    assert page.url == url
    assert opened.value.evaluate("window.opener") is None  # noopener


def test_a_preset_with_a_typo_fails_loudly(new_context, live_site, clinic_sites):
    # The API's 400 naming the bad value is the point here, not a failed load.
    page = new_context(allow_failed=lambda response: response.status == 400 and "/api/v1/search" in response.url).new_page()
    page.goto(host_page(clinic_sites["allowed"], live_site.url, "typo.html", ' data-procedure="micro-needlng"'))
    box(page).fill("cost")
    expect(page.locator("#kb-search [role=status]")).to_contain_text(
        "Search is misconfigured: unknown procedure value 'micro-needlng'; closest valid values: microneedling")


def test_did_you_mean_when_the_api_corrected_the_query(page, live_site, clinic_sites):
    page.goto(host_page(clinic_sites["allowed"], live_site.url))
    box(page).fill("micronedling")
    status = page.locator("#kb-search [role=status]")
    expect(status).to_contain_text("Showing results for \u201cmicroneedling\u201d.")
    expect(status).to_contain_text("Search instead for micronedling.")
    status.get_by_role("button", name="micronedling").click()
    expect(status).to_contain_text("No article mentions \u201cmicronedling\u201d.")
    expect(box(page)).to_have_value("micronedling")
    box(page).fill("xylophone micronedling")  # a typo beside a word no article has: still corrected
    expect(status).to_contain_text(
        "Searched for \u201cxylophone microneedling\u201d. No article mentions \u201cxylophone\u201d. You can ask the clinic about it.")


def test_offline_says_so(new_context, live_site, clinic_sites):
    context = new_context()
    try:
        page = context.new_page()
        page.goto(host_page(clinic_sites["allowed"], live_site.url))
        expect(box(page)).to_be_visible()
        context.set_offline(True)
        box(page).fill("peel")
        expect(page.locator("#kb-search [role=status]")).to_contain_text("You seem to be offline")
    finally:
        context.close()


def test_hostile_answers_are_rendered_as_text(page, live_site, clinic_sites):
    """Even if the API were compromised, only <mark> could ever become markup in the widget."""
    origin = clinic_sites["allowed"].url
    answer = {
        "query": "x", "corrected": None, "total": 1, "page": 1, "per_page": 5, "pages": 1, "took_ms": 1, "facets": {},
        "hits": [{"slug": "s", "url": "/articles/s", "title": "<img src=x onerror=alert(1)>Title",
                  "summary": "", "score": 1, "updated": None, "facets": {},
                  "snippet": "safe <mark>word</mark> <img src=x onerror=window.pwned=1> &lt;b&gt;escaped&lt;/b&gt;"}],
    }
    page.route(re.compile(r"/api/v1/search\?"), lambda route: route.fulfill(
        status=200, content_type="application/json", body=json.dumps(answer),
        headers={"Access-Control-Allow-Origin": origin}))
    page.goto(host_page(clinic_sites["allowed"], live_site.url))
    box(page).fill("x")
    expect(options(page)).to_have_count(1)
    assert page.locator("#kb-search img").count() == 0
    assert page.evaluate("window.pwned") is None
    expect(options(page).first.locator(".title")).to_have_text("<img src=x onerror=alert(1)>Title")
    expect(options(page).first.locator("p")).to_have_text("safe word  <b>escaped</b>")
    expect(options(page).first.locator("p mark")).to_have_text("word")


def test_widget_works_under_a_strict_content_security_policy(page, live_site, clinic_sites):
    """A host that allows only the KB host for scripts and requests, and no inline styles at all."""
    policy = f"default-src 'self'; script-src {live_site.url}; connect-src {live_site.url}; style-src 'self'"
    url = clinic_sites["allowed"].page("strict.html", f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="{policy}">
<title>A strict clinic</title></head><body>
<div id="kb-search"></div>
<script src="{live_site.url}/widget.js" data-target="#kb-search" defer></script>
</body></html>""")
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None)
    page.goto(url)
    box(page).fill("peel")
    expect(options(page).first).to_be_visible()
    assert style(box(page), "border-top-left-radius") == "6px"  # the widget's own stylesheet applied
    options(page).first.click()  # the reader too: the article's HTML, its table box and buttons
    expect(page.locator("#kb-search .reader").get_by_text("Was this helpful?")).to_be_visible()
    assert violations == []


def test_developer_page_shows_the_snippet_and_a_live_preview(page, live_site):
    page.goto(f"{live_site.url}/widget?procedure=microneedling&results=3")
    snippet = page.locator("#snippet").inner_text()
    assert snippet == (
        '<div id="kb-search"></div>\n'
        f'<script src="{live_site.url}/widget.js" data-target="#kb-search" data-results="3" '
        'data-procedure="microneedling" defer></script>'
    )
    box(page).fill("cost")
    expect(options(page).first).to_be_visible()
    assert options(page).count() <= 3
    page.get_by_label("Number of results (1 to 10)").fill("2")
    page.get_by_role("button", name="Update the snippet and preview").click()
    expect(page.locator("#snippet")).to_contain_text('data-results="2"')


def test_widget_says_what_it_did_not_find_and_shows_urgent_notices(page, live_site, clinic_sites, screenshots):
    page.goto(host_page(clinic_sites["allowed"], live_site.url, name="honest.html", css=""))
    status = page.locator("#kb-search .status")
    box(page).fill("trouble breathing after numbing cream")
    notice = page.locator("#kb-search .notice.emergency")
    expect(notice).to_contain_text("emergency care")
    expect(status).to_contain_text("No article mentions \u201ctrouble\u201d or \u201cbreathing\u201d.")
    page.screenshot(path=screenshots / "widget-emergency-notice.png", full_page=True)
    notice.get_by_role("button", name="Read more").click()
    expect(page.locator("#kb-search .reader h2")).to_have_text("Infection and allergic reactions")
    page.keyboard.press("Escape")
    expect(notice).to_be_visible()

    box(page).fill("eczema laser")
    expect(status).to_contain_text("No article mentions \u201ceczema\u201d.")
    expect(status).to_contain_text("These match your other words.")
    expect(page.locator("#kb-search .notice")).to_have_count(0)

    sent = api_searches(page, live_site)
    box(page).fill("microneedlign cost")
    expect(status).to_contain_text("Showing results for \u201cmicroneedling cost\u201d.")
    expect(status).to_contain_text("Search instead for microneedlign cost.")
    status.get_by_role("button", name="microneedlign cost").click()
    expect(status).to_contain_text("No article mentions \u201cmicroneedlign\u201d.")
    assert any("correct=false" in url for url in sent), sent
