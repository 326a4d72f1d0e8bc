"""The staff pages without a browser: search page, partial regions, article pages, sign-in."""
from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from helpers import PASSWORD, PROJECT, csrf_token, sign_in
from kb.parameters import SearchRequest
from kb.web import SORT_LABELS, SearchLinks, page_numbers

STAFF_SLUG = "staff-screening"


def hrefs(page: str) -> list[str]:
    return [html.unescape(h) for h in re.findall(r'href="([^"]+)"', page)]


def result_slugs(page: str) -> list[str]:
    return re.findall(r'<h2 class="hit-title"><a href="/articles/([^"]+)"', page)


# -- the search page ---------------------------------------------------------------------------


def test_search_page_shows_hits_with_snippet_chips_and_date(client):
    page = client.get("/?q=microneedling+cost").get_data(as_text=True)
    assert result_slugs(page)[0] == "microneedling-cost"
    assert "<mark>" in page
    assert re.search(r'<time datetime="2026-\d\d-\d\d">\d+ \w+ 2026</time>', page)
    assert "/?procedure=microneedling" in hrefs(page)  # a chip is a search for its value
    assert 'value="microneedling cost"' in page  # the box keeps the query


def test_facet_sidebar_has_a_checkbox_and_count_per_value(client, engine):
    page = client.get("/?procedure=microneedling").get_data(as_text=True)
    for key, values in engine.facet_totals("public").items():
        for value in values:
            assert f'id="f-{key}-{value["value"]}" name="{key}" value="{value["value"]}"' in page
            assert f'for="f-{key}-{value["value"]}"' in page  # every checkbox has a label
    assert re.search(r'id="f-procedure-microneedling"[^>]*\s+checked>', page)
    assert not re.search(r'id="f-procedure-laser-resurfacing"[^>]*\s+checked>', page)
    assert re.search(r'<a class="clear" href="/">Clear procedure</a>', page)  # back to browsing everything


def test_facet_counts_are_disjunctive_on_the_page(client):
    page = client.get("/?scar_type=ice-pick").get_data(as_text=True)
    # The sibling values keep their counts while ice-pick is ticked.
    counts = dict(re.findall(r'for="f-scar_type-([a-z-]+)">[^<]+</label>\s*<span class="count"[^>]*>(\d+)<', page))
    assert int(counts["boxcar"]) > 0 and int(counts["ice-pick"]) > 0


def test_clear_links_keep_the_rest_of_the_search(client):
    page = client.get("/?q=needles&procedure=microneedling&scar_type=ice-pick&sort=title").get_data(as_text=True)
    links = hrefs(page)
    assert "/?q=needles&scar_type=ice-pick&sort=title" in links  # clear procedure
    assert "/?q=needles&procedure=microneedling&sort=title" in links  # clear scar type
    assert "/?q=needles&sort=title" in links  # clear all


def test_sort_select_offers_every_sort_with_the_current_one_selected(client):
    page = client.get("/?sort=updated").get_data(as_text=True)
    for value, label in SORT_LABELS.items():
        assert f">{label}</option>" in page
    assert '<option value="updated" selected>' in page


def test_pagination_links_carry_the_search(client):
    page = client.get("/?per_page=2&procedure=microneedling&page=2").get_data(as_text=True)
    links = hrefs(page)
    assert "/?procedure=microneedling&per_page=2" in links  # previous page: page 1 is the default
    assert "/?procedure=microneedling&per_page=2&page=3" in links
    assert 'aria-current="page">2<' in page
    assert '<input type="hidden" name="per_page" value="2">' in page


def test_a_corrected_search_offers_the_words_as_typed(client):
    page = client.get("/?q=micronedling").get_data(as_text=True)
    assert "Showing results for <span class=\"corrected\">microneedling</span>" in page
    assert "/?q=micronedling&correct=false" in hrefs(page)
    as_typed = client.get("/?q=micronedling&correct=false").get_data(as_text=True)
    assert "Showing results for" not in as_typed and "No article mentions “micronedling”" in as_typed


def test_a_typo_beside_a_word_no_article_has_is_corrected_and_only_the_unknown_word_named(client):
    page = client.get("/?q=xylophone+micronedling").get_data(as_text=True)
    assert "Searched for <span class=\"corrected\">xylophone microneedling</span>" in page
    assert "No article mentions “xylophone”." in page and "Nothing matched “xylophone microneedling”" in page
    assert "Check the spelling" not in page and "No article mentions “xylophone”: you can ask the clinic about it." in page
    assert "/?q=xylophone+micronedling&correct=false" in hrefs(page)


def test_unmatched_words_and_notices_are_said_above_the_results(client):
    page = client.get("/?q=qwertyuiop+cost").get_data(as_text=True)
    assert "No article mentions “qwertyuiop”: these articles match your other words." in page
    assert page.index("No article mentions") < page.index('class="hits"')


def test_empty_state_offers_what_to_try_and_the_topics(client):
    page = client.get("/?q=xylophone+quartz&side_effect=redness").get_data(as_text=True)
    assert "Nothing matched" in page
    assert "Check the spelling of “xylophone” or “quartz”. If it is right, no article covers it yet" in page
    assert "/?q=xylophone+quartz" in hrefs(page)  # remove the filter
    assert "/?procedure=microneedling" in hrefs(page)  # browse a topic
    assert result_slugs(page) == []


def test_tracking_parameters_on_a_shared_link_are_ignored(client):
    page = client.get("/?q=needles&utm_source=newsletter&fbclid=abc")
    assert page.status_code == 200
    assert result_slugs(page.get_data(as_text=True))


def test_a_page_past_the_end_says_so_and_links_to_the_last_one(client):
    answer = client.get("/?q=scars&per_page=1&page=50")
    text = answer.get_data(as_text=True)
    assert answer.status_code == 404 and "past the last page" in text
    last = client.get("/?q=scars&per_page=1").get_data(as_text=True)
    pages = int(re.search(r"past the last page \((\d+)\)", text).group(1))
    assert f'href="/?q=scars&amp;per_page=1&amp;page={pages}"' in text and f"Go to the last page (page {pages})" in text
    assert client.get(f"/?q=scars&per_page=1&page={pages}").status_code == 200 and last


@pytest.mark.parametrize(
    "query, status, message",
    [
        ("procedure=micro-needlng", 400, "closest valid values: microneedling"),
        ("page=50", 404, "past the last page"),
        ("per_page=0", 400, "per_page must be between 1 and 50"),
        ("page=%D9%A3", 400, "page must be a whole number"),
        ("sort=random", 400, "sort must be one of"),
        ("q=" + "x" * 201, 413, "at most 200 characters"),
    ],
)
def test_bad_parameters_get_a_page_that_says_what_is_wrong(client, query, status, message):
    answer = client.get(f"/?{query}")
    page = answer.get_data(as_text=True)
    assert answer.status_code == status
    assert message in html.unescape(page)
    assert 'role="search"' in page  # and a way to search again
    partial = client.get(f"/?{query}", headers={"X-KB-Partial": "1"})
    assert partial.status_code == status
    assert partial.get_data(as_text=True).lstrip().startswith('<div class="alert error-message"')


def test_partial_answer_holds_only_the_two_regions(client):
    full = client.get("/?q=pain").get_data(as_text=True)
    partial = client.get("/?q=pain", headers={"X-KB-Partial": "1"}).get_data(as_text=True)
    assert partial.lstrip().startswith('<div id="facets-region"')
    assert 'id="results-region"' in partial
    assert "<html" not in partial and "<html" in full
    assert result_slugs(partial) == result_slugs(full)


def test_pages_are_private_to_the_visitor(client):
    for url in ("/", "/?q=pain", "/articles/microneedling-cost", "/articles/nope"):
        answer = client.get(url)
        assert "private" in answer.headers["Cache-Control"]
        assert {"Cookie", "X-KB-Partial"} <= set(answer.headers["Vary"].replace(" ", "").split(","))
    assert "no-store" in client.get("/login").headers["Cache-Control"]


def test_assets_are_served_by_the_app_itself(client):
    page = client.get("/").get_data(as_text=True)
    sources = re.findall(r'(?:src|href)="([^"]+\.(?:js|css|svg))"', page)
    assert len(sources) == 4
    for source in sources:
        assert source.startswith(("/assets/", "/site.css"))
        with client.get(source) as asset:
            assert asset.status_code == 200 and asset.data
    assert "http://" not in page and "https://" not in page


def test_the_clinics_name_logo_and_accent_are_settings(built_index, tmp_path):
    from conftest import FIXTURES, make_app

    logo = tmp_path / "logo.svg"
    logo.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')
    app = make_app(FIXTURES, built_index, tmp_path / "instance", SITE_NAME="Riverside Skin Clinic", SITE_LOGO=str(logo), ACCENT_COLOUR="#7A1F5C")
    try:
        client = app.test_client()
        page = client.get("/articles/what-is-microneedling").get_data(as_text=True)
        assert "<title>What is microneedling? · Riverside Skin Clinic</title>" in page or "· Riverside Skin Clinic</title>" in page
        assert 'class="brand"' in page and "Riverside Skin Clinic</a>" in page and 'src="/site-logo"' in page
        with client.get("/site-logo") as served:
            assert served.mimetype == "image/svg+xml" and b"<svg" in served.data
        css = client.get("/site.css")
        assert "--accent: #7a1f5c;" in css.get_data(as_text=True) and "public" in css.headers["Cache-Control"]
        with client.get("/widget.js") as script:
            assert b'accent: "#7a1f5c"' in script.data  # the widget's default accent
    finally:
        app.extensions["kb.search"].close()


@pytest.mark.parametrize("settings, message", [
    ({"ACCENT_COLOUR": "#ffcc00"}, "contrast of 1.51:1 on white"),
    ({"ACCENT_COLOUR": "blue"}, "must be a colour such as"),
    ({"SITE_LOGO": "/nowhere/logo.png"}, "cannot be read"),
    ({"SITE_LOGO": "/etc/hostname"}, "must be an image file"),
    ({"SITE_NAME": " "}, "SITE_NAME must be"),
])
def test_unusable_branding_is_refused_when_the_app_starts(built_index, tmp_path, settings, message):
    from conftest import FIXTURES, make_app
    from kb.errors import ConfigError

    with pytest.raises(ConfigError, match=re.escape(message)):
        make_app(FIXTURES, built_index, tmp_path / "instance", **settings)


# -- link building ------------------------------------------------------------------------------


def test_search_links_use_the_api_parameter_names():
    search = SearchRequest(q="cost", filters=(("procedure", ("microneedling",)),), page=3, per_page=20, sort="title")
    links = SearchLinks(search)
    assert parse_qs(urlsplit(links.page(2)).query) == {
        "q": ["cost"], "procedure": ["microneedling"], "sort": ["title"], "per_page": ["20"], "page": ["2"]}
    assert links.only("scar_type", "boxcar") == "/?scar_type=boxcar&sort=title&per_page=20"
    assert SearchLinks(SearchRequest()).url() == "/"


@pytest.mark.parametrize(
    "current, last, shown",
    [
        (1, 1, [1]),
        (1, 3, [1, 2, 3]),
        (6, 20, [1, None, 4, 5, 6, 7, 8, None, 20]),
        (2, 9, [1, 2, 3, 4, None, 9]),
        (4, 5, [1, 2, 3, 4, 5]),
    ],
)
def test_page_numbers_leave_out_long_runs(current, last, shown):
    assert page_numbers(current, last) == shown


# -- article pages ----------------------------------------------------------------------------


def test_article_page_has_toc_anchors_topics_related_sources_and_date(client):
    page = client.get("/articles/what-is-microneedling").get_data(as_text=True)
    toc = re.search(r'<nav class="toc".*?</nav>', page, re.S).group(0)
    anchors = re.findall(r'href="#([^"]+)"', toc)
    assert anchors and all(f'id="{anchor}"' in page for anchor in anchors)
    assert "/?procedure=microneedling" in hrefs(page)
    assert "/?scar_type=ice-pick" in hrefs(page)
    related = re.search(r'<ul class="related">.*?</ul>', page, re.S).group(0)
    assert '<li><a href="/articles/microneedling-cost">' in related  # its own related list
    assert '<li class="similar">' in related  # and more like this
    assert STAFF_SLUG not in related
    assert "001_7c306c35706ba94e.txt" in page
    assert '<time datetime="2026-10-01">1 October 2026</time>' in page


def test_article_page_shows_the_price_range(client):
    page = client.get("/articles/microneedling-cost").get_data(as_text=True)
    assert re.search(r"Price per session: USD \d+ to \d+", page)


def test_staff_article_is_a_plain_404_when_signed_out(client):
    hidden = client.get(f"/articles/{STAFF_SLUG}")
    unknown = client.get("/articles/no-such-article")
    assert hidden.status_code == unknown.status_code == 404
    # Nothing on the page tells a staff-only article apart from one that does not exist.
    assert hidden.get_data(as_text=True).replace(STAFF_SLUG, "X") == unknown.get_data(as_text=True).replace("no-such-article", "X")
    assert STAFF_SLUG not in client.get("/?q=zanzibar+protocol").get_data(as_text=True)


# -- sign-in --------------------------------------------------------------------------------------


def test_signed_in_staff_see_staff_articles_marked_in_search_counts_and_pages(staff_client, client):
    page = staff_client.get("/?q=zanzibar+protocol").get_data(as_text=True)
    assert result_slugs(page)[0] == STAFF_SLUG
    assert '<span class="badge">Staff only</span>' in page
    assert "Signed in as <strong>nurse</strong>" in page
    article = staff_client.get(f"/articles/{STAFF_SLUG}")
    assert article.status_code == 200 and "Staff only" in article.get_data(as_text=True)
    public_count = re.search(r'for="f-scar_type-boxcar">[^<]+</label>\s*<span class="count"[^>]*>(\d+)<',
                             staff_client.get("/").get_data(as_text=True)).group(1)
    assert int(public_count) == 3  # two public boxcar articles and the staff one
    # The public API stays public for the same browser.
    assert all(hit["slug"] != STAFF_SLUG for hit in staff_client.get("/api/v1/search?q=zanzibar").get_json()["hits"])


def test_wrong_password_or_name_is_refused_with_one_message(app, client):
    app.extensions["kb.accounts"].add("nurse", PASSWORD)
    for name, password in (("nurse", "wrong password"), ("nobody", PASSWORD)):
        answer = sign_in(client, name, password)
        assert answer.status_code == 401
        assert "do not match a staff account" in answer.get_data(as_text=True)
    assert client.get(f"/articles/{STAFF_SLUG}").status_code == 404


def test_sign_in_without_the_csrf_token_is_refused(app, client):
    app.extensions["kb.accounts"].add("nurse", PASSWORD)
    answer = client.post("/login", data={"name": "nurse", "password": PASSWORD})
    assert answer.status_code == 400
    assert "did not come from this site" in answer.get_data(as_text=True)
    assert client.get(f"/articles/{STAFF_SLUG}").status_code == 404


def test_sign_in_returns_to_the_page_asked_for(app, client):
    app.extensions["kb.accounts"].add("nurse", PASSWORD)
    answer = sign_in(client, next=f"/articles/{STAFF_SLUG}")
    assert answer.headers["Location"] == f"/articles/{STAFF_SLUG}"


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)", "evil", ""]
)
def test_sign_in_never_redirects_off_the_site(app, client, target):
    app.extensions["kb.accounts"].add("nurse", PASSWORD)
    assert sign_in(client, next=target).headers["Location"] == "/"


def test_sign_in_starts_a_fresh_session_cookie(app, client):
    app.extensions["kb.accounts"].add("nurse", PASSWORD)
    answer = sign_in(client)
    [cookie] = [line for line in answer.headers.get_all("Set-Cookie") if line.startswith("kb_session=")]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Expires=" in cookie


def test_sign_out_takes_a_post_with_the_token(staff_client):
    assert staff_client.get("/logout").status_code == 200  # asks first
    assert staff_client.get(f"/articles/{STAFF_SLUG}").status_code == 200
    assert staff_client.post("/logout").status_code == 400  # no token: still signed in
    assert staff_client.get(f"/articles/{STAFF_SLUG}").status_code == 200
    answer = staff_client.post("/logout", data={"csrf_token": csrf_token(staff_client, "/logout")})
    assert answer.status_code == 302
    assert staff_client.get(f"/articles/{STAFF_SLUG}").status_code == 404
    assert staff_client.get("/logout").status_code == 302  # nothing to sign out of


def test_removing_an_account_ends_its_sessions(app, staff_client):
    app.extensions["kb.accounts"].remove("nurse")
    assert staff_client.get(f"/articles/{STAFF_SLUG}").status_code == 404
    assert "Staff sign in" in staff_client.get("/").get_data(as_text=True)


def test_a_password_reset_ends_old_sessions(app, staff_client):
    app.extensions["kb.accounts"].add("nurse", "a brand new password")
    assert staff_client.get(f"/articles/{STAFF_SLUG}").status_code == 404


def test_signed_in_staff_visiting_login_go_on(staff_client):
    assert staff_client.get("/login?next=/articles/what-is-microneedling").headers["Location"] == "/articles/what-is-microneedling"


# -- contrast ------------------------------------------------------------------------------------


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(one: str, other: str) -> float:
    light, dark = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


@pytest.mark.parametrize(
    "text, background",
    [
        ("ink", "paper"), ("ink", "tint"), ("ink", "mark"), ("muted", "paper"), ("muted", "tint"),
        ("accent", "paper"), ("accent", "tint"), ("accent-dark", "paper"), ("white", "accent"), ("white", "danger"),
    ],
)
def test_text_colours_meet_wcag_aa_contrast(text, background):
    """WCAG 2.1 AA: 4.5:1 for body text, for every text/background pair the stylesheet uses."""
    css = (PROJECT / "kb" / "static" / "kb.css").read_text()
    colours = dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-f]{6});", css))
    colours["white"] = "#ffffff"
    assert contrast(colours[text], colours[background]) >= 4.5


def test_focus_colour_stands_out_from_the_page():
    """WCAG 2.2 focus appearance: 3:1 against the background it is drawn on."""
    css = (PROJECT / "kb" / "static" / "kb.css").read_text()
    colours = dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-f]{6});", css))
    assert contrast(colours["focus"], colours["paper"]) >= 3 and contrast(colours["focus"], colours["tint"]) >= 3


def test_an_article_names_its_sources_by_title_with_their_links(client):
    page = client.get("/articles/ice-pick-scars").get_data(as_text=True)
    assert '<a href="https://example.org/points" rel="noopener noreferrer">Points to know before microneedling</a>' in page
    assert "(002_8e0a0899975d12b0.txt)" in page
    answer = client.get("/api/v1/articles/ice-pick-scars").get_json()
    assert answer["sources"] == ["002_8e0a0899975d12b0.txt"]
    assert answer["source_details"] == [{"file": "002_8e0a0899975d12b0.txt", "title": "Points to know before microneedling", "url": "https://example.org/points"}]
