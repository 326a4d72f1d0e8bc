"""Hostile articles and queries in real Chromium: no script of theirs ever runs.

Each article carries one of the well-known filter-evasion vectors (OWASP's XSS filter evasion
cheat sheet and the mutation-XSS classics) in its body, and HTML in its title and summary. The
pages are opened with the Content-Security-Policy *bypassed*, so what is proved is the sanitizer
and the escaping themselves; the policy is a second wall (tests/test_security.py).
"""
from __future__ import annotations

import json
import re
import shutil

import pytest
from playwright.sync_api import Page, expect

from conftest import _FIGURES as FIGURES, FIXTURES
from helpers import PASSWORD, kb, kb_env, running_server

pytestmark = pytest.mark.browser

WORD = "xylophone"  # in every hostile article and nowhere else
EDITOR = "ed"

VECTORS = [
    "<script>alert(1)</script>",
    "<IMG SRC=\"javascript:alert('XSS');\">",
    "<IMG SRC=JaVaScRiPt:alert('XSS')>",
    "<img src=x onerror=alert(1)>",
    "<IMG SRC=# onmouseover=\"alert('xxs')\">",
    "<svg/onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text x="20" y="20">tap</text></a></svg>',
    '<a href="javascript:alert(1)">tap</a>',
    "[tap](javascript:alert(1))",
    '<a href="jav&#x09;ascript:alert(1)">tap</a>',
    '<a href="  javascript:alert(1)">tap</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">tap</a>',
    '<iframe src="javascript:alert(1)"></iframe>',
    "<body onload=alert(1)>",
    "<details open ontoggle=alert(1)>x</details>",
    "<input autofocus onfocus=alert(1)>",
    '<object data="javascript:alert(1)"></object>',
    '<embed src="data:text/html,<script>alert(1)</script>">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<div style="background-image: url(javascript:alert(1))">x</div>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<form><button formaction=javascript:alert(1)>go</button></form>",
    '<base href="javascript:alert(1)//">',
    '<link rel=stylesheet href="javascript:alert(1)">',
    "<video><source onerror=alert(1)></video>",
    "\"><script>alert(1)</script>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<IMG \"\"\"><SCRIPT>alert(\"XSS\")</SCRIPT>\">",
    "<img src=x onerror=\"&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116"
    "&#0000058&#0000097&#0000108&#0000101&#0000114&#0000116&#0000040&#0000049&#0000041\">",
    "<style>@import 'javascript:alert(1)';</style>",
    "<template><script>alert(1)</script></template>",
    '<a href="#" onclick="alert(1)">tap</a>',
]
TITLE_VECTORS = ["<img src=x onerror=alert(1)>", "<script>alert(1)</script>", '"><svg onload=alert(1)>']
QUERY_VECTORS = [f"{WORD} <img src=x onerror=alert(1)>", f'"><script>alert(1)</script> {WORD}', "<svg/onload=alert(1)>"]

#: Anything in the page that could run script: inline or foreign scripts, handlers, script URLs, plug-ins.
DANGER_PROBE = """(trusted) => {
  const found = [];
  const roots = [document];
  for (const host of document.querySelectorAll('*')) if (host.shadowRoot) roots.push(host.shadowRoot);
  for (const root of roots) for (const el of root.querySelectorAll('*')) {
    const tag = el.tagName.toLowerCase();
    // JSON-LD is a data block, never run: allowed while it is one whole JSON value (nothing broke out of it).
    const data = tag === 'script' && el.type === 'application/ld+json' && (() => { try { JSON.parse(el.textContent); return true; } catch { return false; } })();
    if (tag === 'script' && !data && !(el.src && [location.origin, ...trusted].some(origin => el.src.startsWith(origin + '/')))) found.push('script:' + el.outerHTML.slice(0, 80));
    if (['iframe', 'object', 'embed', 'base', 'meta', 'link', 'style', 'form', 'input', 'svg', 'math'].includes(tag)
        && !el.closest('head') && !el.closest('[data-kb-own]') && root === document && el.closest('article')) found.push(tag);
    for (const attr of el.attributes) {
      const value = attr.value.replace(/[\\s\\u0000-\\u001f]/g, '').toLowerCase();
      if (attr.name.startsWith('on')) found.push(tag + ' ' + attr.name);
      if (['href', 'src', 'action', 'formaction', 'data', 'xlink:href'].includes(attr.name)
          && (value.startsWith('javascript:') || value.startsWith('data:text/html'))) found.push(tag + ' ' + attr.name + '=' + value);
    }
  }
  return found;
}"""


def hostile_article(number: int, vector: str) -> str:
    title = f"{TITLE_VECTORS[number % len(TITLE_VECTORS)]} {WORD} {number}"
    return f"""---
title: {json.dumps(title)}
summary: {json.dumps(f"{WORD} summary {TITLE_VECTORS[(number + 1) % len(TITLE_VECTORS)]}")}
procedure: [microneedling]
updated: 2026-11-01
sources: [001_7c306c35706ba94e.txt]
---
## Vector {number}

A {WORD} paragraph before the vector {vector} and after it.

{vector}

Another {WORD} paragraph.
"""


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory, clinic_sites):
    base = tmp_path_factory.mktemp("hostile")
    articles = base / "articles"
    shutil.copytree(FIXTURES, articles)
    for number, vector in enumerate(VECTORS):
        (articles / f"hostile-{number}.md").write_text(hostile_article(number, vector), encoding="utf-8")
    env = kb_env(articles, base / "index", base / "instance", CORS_ORIGINS=clinic_sites["allowed"].url)
    kb(["index"], env)
    kb(["user", "add", EDITOR, "--role", "editor"], env, stdin=f"{PASSWORD}\n")
    with running_server(env) as server:
        yield server


#: What hostile articles load and fail to load, on purpose: images and media of made-up addresses.
BROKEN_ON_PURPOSE = ("image", "media")


@pytest.fixture
def watched(new_context):
    """A page whose CSP is bypassed; any dialog, console marker or page error is recorded (and
    the context is watched as every browser test's is)."""
    context = new_context(bypass_csp=True, allow_failed=lambda response: response.request.resource_type in BROKEN_ON_PURPOSE)
    page = context.new_page()
    fired: list[str] = []
    # Leaving an editor's preview asks first (its text is not saved): that question is no script of theirs.
    page.on("dialog", lambda dialog: dialog.accept() if dialog.type == "beforeunload" else (fired.append("dialog: " + dialog.message), dialog.dismiss()))
    page.on("console", lambda message: fired.append("console: " + message.text) if "XSS" in message.text.upper() else None)
    page.on("pageerror", lambda error: fired.append("error: " + str(error)))
    page.fired = fired
    return page


def assert_nothing_ran(page: Page, where: str, trusted: tuple[str, ...] = ()) -> None:
    assert page.evaluate(DANGER_PROBE, list(trusted)) == [], f"something able to run script is in {where}"
    assert page.fired == [], f"script ran on {where}"
    FIGURES["xss: pages and widget states checked"] = FIGURES.get("xss: pages and widget states checked", 0) + 1
    FIGURES.setdefault("xss: scripts that ran", 0)  # a dialog, console marker or page error fails first


def test_the_watch_sees_script_that_runs_and_markup_that_could(watched):
    """The harness is not blind: unsanitized vectors are caught both ways."""
    watched.set_content("<article><img src=x onerror=alert(1)><a href='javascript:alert(2)'>tap</a></article>")
    expect(watched.locator("img")).to_have_count(1)
    watched.wait_for_event("dialog") if not watched.fired else None
    assert watched.fired == ["dialog: 1"]
    assert watched.evaluate(DANGER_PROBE, []) == ["img onerror", "a href=javascript:alert(2)"]


def test_no_vector_runs_on_article_pages(watched, hostile_site, figures):
    for number in range(len(VECTORS)):
        answer = watched.goto(f"{hostile_site.url}/articles/hostile-{number}")
        assert answer.status == 200
        expect(watched.locator("h1")).to_contain_text(f"{WORD} {number}")
        assert_nothing_ran(watched, f"hostile-{number}")
    figures["xss: vectors tried in article bodies"] = len(VECTORS)
    figures["xss: article pages opened (CSP bypassed)"] = len(VECTORS)


def test_no_vector_runs_on_search_pages(watched, hostile_site, figures):
    pages = 0
    for page_number in (1, 2, 3, 4):
        watched.goto(f"{hostile_site.url}/?q={WORD}&page={page_number}")
        assert_nothing_ran(watched, f"search page {page_number}")
        pages += 1
    expect(watched.locator("#result-summary")).to_contain_text(f"{len(VECTORS)} article")
    for query in QUERY_VECTORS:
        watched.goto(f"{hostile_site.url}/")
        watched.locator("#q").fill(query)
        watched.locator("#q").press("Enter")
        expect(watched.locator("#q")).to_have_value(query)
        assert_nothing_ran(watched, f"the search page for {query!r}")
        pages += 1
    figures["xss: search pages opened (CSP bypassed)"] = pages
    figures["xss: hostile queries tried"] = len(QUERY_VECTORS)


def widget_host(site, hostile_site, name: str) -> str:
    """A clinic's page with nothing of its own but the widget, over the hostile articles."""
    return site.page(name, f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>A clinic</title></head><body>
<div id="kb-search"></div>
<script src="{hostile_site.url}/widget.js" data-target="#kb-search" data-results="10" defer></script>
</body></html>""")


#: Hostile queries that match no article: the widget then draws the query itself into its message.
#: Their words (tags, handlers, functions) are in no article, the hostile ones included.
UNMATCHED_QUERY_VECTORS = ["<marquee onstart=confirm``>", "zzqq <blink onmouseenter=confirm``>", "\"><marquee onstart=confirm``></marquee>"]

#: A hostile query with a misspelt word: the widget says what it searched for instead, markup included.
CORRECTED_QUERY_VECTOR = "<img src=x onerror=confirm``> xylophne"
#: Markup around words too common to search for: the widget says no article matches, quoting it.
ECHOED_QUERY = "<b>the</b> <i>a</i>"


def test_no_vector_runs_in_the_widget_on_a_clinic_page(watched, hostile_site, clinic_sites, figures):
    """Each query's answer is waited for (its message names the query, or its results are drawn)
    before the page is checked: what the widget draws from a hostile query is what is tested."""
    url = widget_host(clinic_sites["allowed"], hostile_site, "xss-host.html")
    watched.goto(url)
    box = watched.locator("#kb-search input")
    status = watched.locator("#kb-search [role=status]").first
    for query in [WORD, *QUERY_VECTORS, *UNMATCHED_QUERY_VECTORS, CORRECTED_QUERY_VECTOR, ECHOED_QUERY]:
        box.fill(query)
        if query == ECHOED_QUERY:  # nothing to search for: the message repeats the query, as text
            expect(status).to_have_text(f"No articles match “{ECHOED_QUERY}”.")
        elif query == CORRECTED_QUERY_VECTOR:  # the corrected query, markup and all, is drawn in the message
            expect(status).to_contain_text("Showing results for “<img src=x onerror=confirm``> xylophone”")
        elif query in UNMATCHED_QUERY_VECTORS:
            expect(status).to_contain_text("No article")  # "No articles match ..." or "No article mentions ..."
            expect(watched.locator("#kb-search [role=option]")).to_have_count(0)
        else:
            expect(watched.locator("#kb-search [role=option]").first).to_be_visible()
            expect(watched.locator("#kb-search [role=option] mark").first).to_have_text(re.compile(WORD, re.I))
        expect(status).to_contain_text(re.compile(r"\S"))
        assert_nothing_ran(watched, f"the widget for {query!r}", trusted=(hostile_site.url,))
    figures["xss: hostile queries typed into the widget, each answer waited for"] = len(QUERY_VECTORS) + len(UNMATCHED_QUERY_VECTORS) + 2


def test_no_vector_runs_in_the_widgets_reader(watched, hostile_site, clinic_sites, figures):
    """Every hostile article opened inside the widget, on a clinic's page, with its CSP bypassed."""
    url = widget_host(clinic_sites["allowed"], hostile_site, "xss-reader.html")
    watched.goto(url)
    watched.locator("#kb-search input").fill(WORD)
    found = watched.locator("#kb-search [role=option]")
    expect(found).to_have_count(10)
    more = watched.locator("#kb-search").get_by_role("button", name="More results")
    while more.is_visible():
        count = found.count()
        more.click()
        expect(found).not_to_have_count(count)
    assert found.count() == len(VECTORS)
    reader = watched.locator("#kb-search .reader")
    for index in range(len(VECTORS)):
        found.nth(index).click()
        expect(reader.get_by_text("Was this helpful?")).to_be_visible()
        assert_nothing_ran(watched, f"the widget's reader for result {index + 1}", trusted=(hostile_site.url,))
        reader.get_by_role("button", name="Back to results").click()
        expect(reader).to_be_hidden()
    figures["xss: hostile articles opened in the widget's reader (CSP bypassed)"] = len(VECTORS)


def test_api_snippets_carry_only_mark_tags(hostile_site):
    from urllib.request import urlopen

    with urlopen(f"{hostile_site.url}/api/v1/search?q={WORD}&per_page=50") as response:
        hits = json.load(response)["hits"]
    assert len(hits) == len(VECTORS)
    for hit in hits:
        text = hit["snippet"].replace("<mark>", "").replace("</mark>", "")
        assert "<" not in text and ">" not in text, hit["snippet"]  # the vectors' own brackets come escaped


def test_no_vector_runs_in_the_editor_its_preview_or_a_saved_article(watched, hostile_site, figures):
    """Hostile Markdown is kept as written in the editor's text box and rendered sanitized in
    the preview and on the page, whoever wrote it."""
    watched.goto(f"{hostile_site.url}/login")
    watched.fill("#name", EDITOR)
    watched.fill("#password", PASSWORD)
    watched.click("button[type=submit]")
    expect(watched.get_by_text("Signed in as")).to_be_visible()
    for number, vector in enumerate(VECTORS):
        watched.goto(f"{hostile_site.url}/articles/hostile-{number}/edit")
        expect(watched.get_by_label("Body", exact=True)).to_have_value(hostile_article(number, vector).split("---\n", 2)[2])
        assert_nothing_ran(watched, f"the editor of hostile-{number}")
        watched.get_by_role("button", name="Preview").click()
        expect(watched.locator("#preview")).to_contain_text(f"Vector {number}")
        assert_nothing_ran(watched, f"the preview of hostile-{number}")
    watched.goto(f"{hostile_site.url}/articles/new")
    everything = "\n\n".join(["</textarea><script>alert(1)</script>", *VECTORS])
    watched.get_by_label("Title", exact=True).fill(f"{TITLE_VECTORS[0]} {WORD} written in the editor")
    watched.get_by_label("Summary", exact=True).fill(TITLE_VECTORS[2])
    watched.get_by_label("Body", exact=True).fill(everything)
    watched.get_by_role("button", name="Preview").click()
    expect(watched.get_by_label("Body", exact=True)).to_have_value(everything)
    assert_nothing_ran(watched, "the preview of a new article")
    watched.get_by_role("button", name="Save").click()
    expect(watched.locator("h1")).to_contain_text("written in the editor")
    assert_nothing_ran(watched, "an article saved from the editor")
    figures["xss: editor forms and previews opened (CSP bypassed)"] = 2 * len(VECTORS) + 2
