"""The staff pages in real Chromium (Playwright) against a real `kb serve` over the clinic's articles."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from helpers import PASSWORD

pytestmark = pytest.mark.browser

STAFF_SLUG = "staff-consultation-screening-checklist"


@pytest.fixture
def context(new_context):
    """Watched (conftest.watch): a script error, a CSP refusal or a failed load fails the test."""
    return new_context(viewport={"width": 1280, "height": 900})


@pytest.fixture
def page(context, live_site) -> Page:
    return context.new_page()


def partial_requests(page: Page) -> list[str]:
    """Every results request the page's script makes, recorded as it is sent."""
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.url) if request.headers.get("x-kb-partial") == "1" else None)
    return sent


def hit_links(page: Page):
    return page.locator("#results-region .hit-title a")


def settled(page: Page) -> None:
    """The newest results request has been answered and swapped in (the script clears aria-busy then)."""
    expect(page.locator("#results-region")).not_to_have_attribute("aria-busy", "true")


def total(page: Page) -> int:
    text = page.locator("#result-summary").inner_text()
    match = re.match(r"\s*(\d+) article", text)
    return int(match.group(1)) if match else 0


def test_typing_updates_results_without_a_reload_and_without_a_request_storm(page, live_site, screenshots):
    # The page's timers move only when the test moves its clock: a stall of a loaded machine
    # between two keystrokes cannot pass for a pause in typing.
    page.clock.install()
    page.goto(live_site.url + "/")
    page.evaluate("window.stillTheSamePage = true")
    sent = partial_requests(page)
    page.locator("#q").press_sequentially("ice pick")
    page.clock.run_for(200)  # a pause shorter than the 250 ms the page waits for
    page.locator("#q").press_sequentially(" scars")
    assert sent == []
    page.clock.run_for(300)  # the pause that sends the search
    expect(hit_links(page).first).to_have_attribute("href", "/articles/ice-pick-scars")
    expect(page).to_have_url(re.compile(r"/\?q=ice\+pick\+scars$"))
    expect(page.locator("#result-summary")).to_contain_text("ice pick scars")
    assert page.evaluate("window.stillTheSamePage") is True
    assert len(sent) == 1, sent  # fourteen keystrokes, one request
    expect(page.locator(".snippet mark").first).to_be_visible()
    page.screenshot(path=screenshots / "search.png", full_page=True)


def test_ticking_a_facet_narrows_results_updates_the_url_and_back_restores(page, live_site):
    page.goto(live_site.url + "/?q=microneedling")
    before = total(page)
    hits_before = hit_links(page).evaluate_all("links => links.map(a => a.getAttribute('href'))")
    box = page.get_by_label("Ice pick", exact=True)
    box.check()
    expect(page).to_have_url(re.compile(r"scar_type=ice-pick"))
    expect(page.locator("#result-summary")).not_to_contain_text(f"{before} articles")
    narrowed = total(page)
    assert 0 < narrowed < before
    expect(page.get_by_label("Ice pick", exact=True)).to_be_checked()
    expect(page.get_by_label("Ice pick", exact=True)).to_be_focused()  # the keyboard stays on the box
    for chips in page.locator(".hit .chips").all():
        expect(chips).to_contain_text("Ice pick")
    # Disjunctive counts: a sibling value keeps its count while ice pick is ticked.
    expect(page.locator("#f-scar_type-boxcar ~ .count")).not_to_have_text("0")

    page.go_back()
    expect(page).to_have_url(re.compile(r"/\?q=microneedling$"))
    expect(page.get_by_label("Ice pick", exact=True)).not_to_be_checked()
    expect(page.locator("#result-summary")).to_contain_text(f"{before} articles")
    assert hit_links(page).evaluate_all("links => links.map(a => a.getAttribute('href'))") == hits_before
    expect(page.locator("#q")).to_have_value("microneedling")

    page.go_forward()
    expect(page.get_by_label("Ice pick", exact=True)).to_be_checked()
    expect(page.locator("#result-summary")).to_contain_text(f"{narrowed} article")


def test_clear_sort_and_pages_apply_in_place(page, live_site):
    page.goto(live_site.url + "/?procedure=microneedling&side_effect=redness")
    page.evaluate("window.stillTheSamePage = true")
    page.get_by_role("link", name="Clear all filters").click()
    expect(page).to_have_url(live_site.url + "/")
    # Chosen at once, before the cleared results arrive: the sort builds on the cleared state.
    page.get_by_label("Sort by").select_option("title")
    expect(page).to_have_url(live_site.url + "/?sort=title")
    settled(page)
    titles = hit_links(page).all_inner_texts()
    assert titles == sorted(titles, key=str.casefold)
    page.get_by_role("link", name="Next").click()
    expect(page).to_have_url(re.compile(r"sort=title&page=2"))
    expect(page.locator('.pagination a[aria-current="page"]')).to_have_text("2")
    assert page.evaluate("window.stillTheSamePage") is True


def test_completions_follow_the_combobox_pattern(page, live_site):
    page.goto(live_site.url + "/")
    search_box = page.locator("#q")
    search_box.press_sequentially("cold s", delay=30)
    options = page.get_by_role("option")
    expect(options.first).to_be_visible()
    expect(search_box).to_have_attribute("aria-expanded", "true")
    search_box.press("ArrowDown")
    expect(options.first).to_have_attribute("aria-selected", "true")
    expect(search_box).to_have_attribute("aria-activedescendant", "suggestion-0")
    chosen = options.first.locator("span").first.inner_text()
    search_box.press("Enter")
    expect(page.get_by_role("listbox")).to_be_hidden()
    expect(search_box).to_have_attribute("aria-expanded", "false")
    if chosen.casefold().startswith("cold s"):  # a word or filter: a search; a title: the article
        expect(page.locator("#result-summary")).to_contain_text("article")
    search_box.fill("")
    search_box.press_sequentially("micro", delay=30)
    expect(options.first).to_be_visible()
    search_box.press("Escape")
    expect(page.get_by_role("listbox")).to_be_hidden()
    expect(search_box).to_have_value("micro")  # the first Escape only closes the list


def test_an_article_opens_with_its_table_of_contents(page, live_site, screenshots):
    page.goto(live_site.url + "/?q=how+many+sessions")
    hit_links(page).first.click()
    expect(page).to_have_url(re.compile(r"/articles/[a-z0-9-]+$"))
    toc = page.get_by_role("navigation", name="On this page")
    expect(toc).to_be_visible()
    entries = toc.get_by_role("link")
    assert entries.count() >= 2
    last = entries.last
    anchor = last.get_attribute("href")
    last.click()
    expect(page).to_have_url(re.compile(re.escape(anchor) + "$"))
    expect(page.locator(anchor)).to_be_in_viewport()
    expect(page.get_by_role("heading", name="Sources", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Related articles", exact=True)).to_be_visible()
    page.goto(page.url.split("#")[0])
    page.screenshot(path=screenshots / "article.png", full_page=True)
    # A topic chip leads to the filtered search.
    page.locator(".article-header .chips a").first.click()
    expect(page).to_have_url(re.compile(r"/\?(scar_type|procedure|side_effect|cost)="))


def test_sign_in_reveals_the_staff_article_hidden_when_signed_out(page, live_site, screenshots):
    answer = page.goto(f"{live_site.url}/articles/{STAFF_SLUG}")
    assert answer.status == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    page.goto(live_site.url + "/?q=screening+checklist")
    expect(page.locator(f'a[href="/articles/{STAFF_SLUG}"]')).to_have_count(0)

    page.get_by_role("link", name="Staff sign in").click()
    page.get_by_label("Name").fill("nurse")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("do not match")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/\?q=screening\+checklist$"))  # back where sign-in started
    expect(page.get_by_text("Signed in as")).to_be_visible()
    staff_hit = page.locator(f'.hit:has(a[href="/articles/{STAFF_SLUG}"])')
    expect(staff_hit.locator(".badge")).to_have_text("Staff only")
    page.screenshot(path=screenshots / "search-signed-in.png", full_page=True)
    staff_hit.locator(".hit-title a").click()
    expect(page.locator("h1")).to_contain_text("Staff only")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Staff sign in")).to_be_visible()
    assert page.goto(f"{live_site.url}/articles/{STAFF_SLUG}").status == 404


def test_the_page_works_with_javascript_off(new_context, live_site, screenshots):
    context = new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(live_site.url + "/")
        page.get_by_label("Search the knowledge base").fill("numbing cream")
        page.get_by_role("button", name="Search", exact=True).click()
        expect(page).to_have_url(re.compile(r"/\?q=numbing\+cream"))
        expect(hit_links(page).first).to_be_visible()
        page.get_by_label("Microneedling", exact=True).check()
        page.get_by_role("button", name="Apply filters").click()
        expect(page).to_have_url(re.compile(r"q=numbing\+cream&procedure=microneedling"))
        expect(page.get_by_label("Microneedling", exact=True)).to_be_checked()
        page.get_by_role("link", name="Clear procedure").click()
        expect(page).to_have_url(re.compile(r"/\?q=numbing\+cream$"))
        page.get_by_label("Sort by").select_option("updated")
        page.get_by_role("button", name="Sort").click()
        expect(page).to_have_url(re.compile(r"sort=updated"))
        page.screenshot(path=screenshots / "search-no-javascript.png", full_page=True)
        hit_links(page).first.click()
        expect(page.get_by_role("navigation", name="On this page")).to_be_visible()
    finally:
        context.close()


def test_a_stale_request_is_cancelled_and_its_answer_never_shown(page, live_site):
    page.goto(live_site.url + "/")
    held = []

    def hold_the_first(route):
        if route.request.url.endswith("/?q=peel") and not held:
            held.append(route)  # the server's answer to the older search is kept back
        else:
            route.continue_()

    page.route(re.compile(r"/\?q="), hold_the_first)
    search_box = page.locator("#q")
    search_box.fill("peel")
    page.wait_for_event("request", lambda request: request.url.endswith("/?q=peel"))
    search_box.fill("numbing")
    expect(page.locator("#result-summary")).to_contain_text("numbing")
    assert held[0].request.failure == "net::ERR_ABORTED"  # the script cancelled the older request
    held[0].continue_()  # releasing it now changes nothing
    expect(page.locator("#result-summary")).to_contain_text("numbing")
    expect(page).to_have_url(re.compile(r"q=numbing$"))


def test_a_failed_request_says_so_and_keeps_the_results(page, live_site):
    page.goto(live_site.url + "/?q=peel")
    shown = hit_links(page).all_inner_texts()
    page.route(re.compile(r"/\?q="), lambda route: route.abort("internetdisconnected"))
    page.locator("#q").fill("numbing")
    expect(page.get_by_role("alert")).to_contain_text("could not be reached")
    assert hit_links(page).all_inner_texts() == shown


@pytest.mark.parametrize("width", [375, 768, 1280])
def test_layout_fits_from_phone_to_desktop(new_context, live_site, screenshots, width):
    context = new_context(viewport={"width": width, "height": 800})
    try:
        page = context.new_page()
        for path in ("/?q=microneedling", "/articles/how-many-sessions"):
            page.goto(live_site.url + path)
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, f"{path} scrolls sideways at {width} px"
        if width == 375:
            page.goto(live_site.url + "/?q=microneedling")
            filters = page.locator("details.filters")
            expect(filters).not_to_have_attribute("open", "")  # folded away on a phone
            page.get_by_text("Filters", exact=True).click()
            expect(page.get_by_label("Ice pick", exact=True)).to_be_visible()
            page.screenshot(path=screenshots / "search-375px.png", full_page=True)
    finally:
        context.close()


def test_every_control_is_labelled_and_the_keyboard_reaches_it(page, live_site):
    page.goto(live_site.url + "/?q=microneedling")
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('input:not([type=hidden]), select, button, a[href]')]
              .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                            && !el.textContent.trim())
              .map(el => el.outerHTML)"""
    )
    assert unlabelled == []
    # Tab from the top: skip link, brand, sign-in, search box... and the focus ring is visible.
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    for _ in range(3):
        page.keyboard.press("Tab")
    expect(page.locator("#q")).to_be_focused()
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
    # Space ticks a box reached by the keyboard, the results follow, and a screen reader hears the count.
    page.locator("#f-scar_type-ice-pick").focus()
    page.keyboard.press("Space")
    expect(page).to_have_url(re.compile(r"scar_type=ice-pick"))
    expect(page.get_by_role("status")).to_contain_text("articles for “microneedling”")
    expect(page.locator("#f-scar_type-boxcar")).to_have_accessible_description(re.compile(r"^\d+ articles?$"))


def test_back_after_typing_a_new_query_returns_to_the_one_before(page, live_site):
    page.clock.install()  # the page's own timers, run forward on purpose: no waiting on the wall clock
    page.goto(live_site.url + "/")
    page.locator("#q").press_sequentially("boxcar")
    page.clock.run_for(300)  # the pause in typing that sends the search
    expect(page).to_have_url(re.compile(r"\?q=boxcar$"))
    page.clock.run_for(2500)  # the visitor reads: "boxcar" is now an entry of its own
    page.locator("#q").fill("")
    page.locator("#q").press_sequentially("redness")
    page.clock.run_for(300)
    expect(page).to_have_url(re.compile(r"\?q=redness$"))
    page.go_back()
    expect(page).to_have_url(re.compile(r"\?q=boxcar$"))
    expect(page.locator("#q")).to_have_value("boxcar")


def test_the_header_keeps_its_height_and_the_sign_in_link_is_clean(page, live_site):
    page.goto(live_site.url + "/")
    link = page.get_by_role("link", name="Staff sign in")
    assert link.get_attribute("href") == "/login?next=/"  # no stray "?"
    signed_out = page.locator(".site-header").bounding_box()["height"]
    link.click()
    page.fill("#name", "nurse")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.get_by_text("Signed in as")).to_be_visible()
    assert page.locator(".site-header").bounding_box()["height"] == signed_out


def test_the_focus_ring_is_the_accent_not_an_error_colour(page, live_site):
    page.goto(live_site.url + "/")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    colour = page.evaluate("getComputedStyle(document.activeElement).outlineColor")
    assert colour == "rgb(8, 69, 129)", colour  # the default accent #0b5cad, a quarter darker


@pytest.mark.parametrize("query, level, background, stripe", [
    ("trouble breathing after numbing cream", "emergency", "rgb(253, 236, 234)", "rgb(164, 22, 26)"),
    ("pus and fever after microneedling", "urgent", "rgb(255, 244, 229)", "rgb(180, 83, 9)"),
])
def test_a_notice_is_drawn_in_its_levels_colours(page, live_site, screenshots, query, level, background, stripe):
    """No later rule for another page's notes may repaint an emergency in the calm colours."""
    page.goto(f"{live_site.url}/?q={query.replace(' ', '+')}")
    notice = page.locator(f".notices .notice-{level}").first
    expect(notice).to_be_visible()
    drawn = notice.evaluate("n => { const s = getComputedStyle(n); return [s.backgroundColor, s.borderLeftColor, s.borderLeftWidth]; }")
    assert drawn == [background, stripe, "6px"]
    page.screenshot(path=screenshots / f"search-notice-{level}.png")
