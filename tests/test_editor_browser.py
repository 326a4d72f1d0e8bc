"""Editors in real Chromium against `kb serve` (two workers) over a git copy of the clinic's
articles: write, preview, save, conflict, drafts, history; the pages pass the accessibility audit."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import urllib.parse
import urllib.request

import pytest
from playwright.sync_api import Page, expect

from accessibility import serious_violations
from conftest import PROJECT
from helpers import PASSWORD, kb, kb_env, running_server

pytestmark = pytest.mark.browser

ARTICLE = "does-microneedling-hurt"
#: Requests made to check that every worker answers from the new index version.
API_CHECKS = 12


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    base = tmp_path_factory.mktemp("editing")
    articles = base / "articles"
    shutil.copytree(PROJECT / "articles", articles)
    for args in (["init", "-q"], ["add", "."], ["-c", "user.name=Clinic", "-c", "user.email=c@example.org", "commit", "-qm", "The articles"]):
        subprocess.run(["git", "-C", str(articles), *args], check=True)
    env = kb_env(articles, base / "index", base / "instance")
    for name, role in (("ed", "editor"), ("kim", "editor"), ("nurse", "staff")):
        kb(["user", "add", name, "--role", role], env, stdin=f"{PASSWORD}\n")
    with running_server(env, workers=2) as server:
        server.articles = articles
        yield server


@pytest.fixture
def pages(new_context):
    """Pages of their own browser contexts, watched (conftest.watch); a dialog fails the test too."""
    dialogs: list[str] = []

    def open_page(width: int = 1280) -> Page:
        page = new_context(viewport={"width": width, "height": 900}).new_page()
        page.on("dialog", lambda dialog: None if dialog.type == "beforeunload" else (dialogs.append(dialog.message), dialog.dismiss()))
        return page

    yield open_page
    assert dialogs == []


def signed_in(pages, site, name: str, width: int = 1280) -> Page:
    page = pages(width=width)
    page.goto(f"{site.url}/login")
    page.fill("#name", name)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.get_by_text("Signed in as")).to_be_visible()
    return page


def public_search(site, q: str) -> list[tuple[str, str]]:
    """(index version, slugs) of the public API's answer, from a new connection each time."""
    with urllib.request.urlopen(f"{site.url}/api/v1/search?{urllib.parse.urlencode({'q': q})}") as answer:
        return answer.headers["KB-Index-Version"], [hit["slug"] for hit in json.load(answer)["hits"]]


def test_an_editor_writes_an_article_and_every_worker_finds_it_once_saved(pages, site, screenshots):
    page = signed_in(pages, site, "ed")
    assert all("eczema-and-microneedling" not in slugs for _, slugs in [public_search(site, "eczema")])
    page.get_by_role("link", name="New article").click()
    page.get_by_label("Title", exact=True).fill("Eczema and microneedling")
    expect(page.get_by_label("Address", exact=True)).to_have_value("eczema-and-microneedling")  # proposed as the title is typed
    page.get_by_label("Summary", exact=True).fill("Whether people with eczema can have microneedling, and when to wait.")
    page.get_by_label("Body", exact=True).fill("## Active eczema\n\nTreatment waits while eczema is active on the area.\n")
    page.get_by_label("Microneedling", exact=True).check()
    page.get_by_label("Published", exact=True).check()
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#preview h2", has_text="Active eczema")).to_be_visible()
    page.screenshot(path=str(screenshots / "editor-new-preview.png"), full_page=True)
    assert serious_violations(page) == []
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"{site.url}/articles/eczema-and-microneedling")
    expect(page.get_by_text("Saved. It is in the search now.")).to_be_visible()
    answers = [public_search(site, "eczema") for _ in range(API_CHECKS)]
    assert all(slugs == ["eczema-and-microneedling"] for _, slugs in answers), answers
    assert len({version for version, _ in answers}) == 1
    assert (site.articles / "eczema-and-microneedling.md").read_text().startswith("---\ntitle: Eczema and microneedling\n")


def test_an_edit_is_in_the_file_the_search_and_the_history(pages, site, screenshots):
    page = signed_in(pages, site, "ed")
    page.goto(f"{site.url}/articles/{ARTICLE}")
    page.get_by_role("link", name="Edit this article").click()
    body = page.get_by_label("Body", exact=True)
    body.fill(body.input_value() + "\nA numbing cream called lidocaine gel may be offered.\n")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"{site.url}/articles/{ARTICLE}")
    assert "lidocaine gel" in (site.articles / f"{ARTICLE}.md").read_text()
    assert ARTICLE in public_search(site, "lidocaine gel")[1]
    page.get_by_role("link", name="History of this article").click()
    expect(page.locator(".version").first).to_contain_text("Edit does-microneedling-hurt in the browser")
    expect(page.locator(".diff-add").filter(has_text="lidocaine gel")).to_be_visible()
    log = subprocess.run(["git", "-C", str(site.articles), "log", "-1", "--format=%an|%s"], capture_output=True, text=True, check=True)
    assert log.stdout.strip() == f"ed|Edit {ARTICLE} in the browser"
    page.screenshot(path=str(screenshots / "editor-history.png"), full_page=True)
    assert serious_violations(page) == []


def test_a_conflicting_save_is_refused_and_nothing_is_lost(pages, site, screenshots):
    mine, theirs = signed_in(pages, site, "ed"), signed_in(pages, site, "kim", width=400)
    for page in (mine, theirs):
        page.goto(f"{site.url}/articles/how-many-sessions/edit")
    theirs_body = theirs.get_by_label("Body", exact=True)
    theirs_body.fill(theirs_body.input_value() + "\nKim's line about spacing sessions.\n")
    theirs.get_by_role("button", name="Save").click()
    theirs.wait_for_url(f"{site.url}/articles/how-many-sessions")
    my_body = mine.get_by_label("Body", exact=True)
    my_body.fill(my_body.input_value() + "\nEd's line about top-up sessions.\n")
    mine.get_by_role("button", name="Save").click()
    expect(mine.get_by_role("heading", name="This article changed since you opened it")).to_be_visible()
    expect(mine.get_by_label("Body", exact=True)).to_have_value(re.compile("Ed's line about top-up sessions."))
    expect(mine.get_by_label("The version now in the file")).to_have_value(re.compile("Kim's line about spacing sessions."))
    text = (site.articles / "how-many-sessions.md").read_text()
    assert "Kim's line" in text and "Ed's line" not in text
    mine.screenshot(path=str(screenshots / "editor-conflict.png"), full_page=True)
    assert serious_violations(mine) == []
    my_body = mine.get_by_label("Body", exact=True)
    my_body.fill(my_body.input_value() + "Kim's line about spacing sessions.\n")  # merged by hand
    mine.get_by_role("button", name="Save").click()
    mine.wait_for_url(f"{site.url}/articles/how-many-sessions")
    text = (site.articles / "how-many-sessions.md").read_text()
    assert "Kim's line" in text and "Ed's line" in text


def test_a_draft_is_invisible_to_the_public_api_and_to_other_staff(pages, site):
    editor = signed_in(pages, site, "ed")
    editor.goto(f"{site.url}/articles/new")
    editor.get_by_label("Title", exact=True).fill("Pregnancy and microneedling")
    editor.get_by_label("Summary", exact=True).fill("A draft about treatment during pregnancy.")
    editor.get_by_label("Body", exact=True).fill("Pregnancy notes, not yet reviewed.\n")
    expect(editor.get_by_label("Draft: only editors see it")).to_be_checked()  # new articles start as drafts
    editor.get_by_role("button", name="Save").click()
    editor.wait_for_url(f"{site.url}/articles/pregnancy-and-microneedling")
    expect(editor.locator(".badge.draft")).to_be_visible()
    assert "pregnancy-and-microneedling" not in public_search(site, "pregnancy")[1]
    nurse = signed_in(pages, site, "nurse")
    assert nurse.goto(f"{site.url}/articles/pregnancy-and-microneedling").status == 404
    nurse.goto(f"{site.url}/?q=pregnancy")
    expect(nurse.locator('[data-slug="pregnancy-and-microneedling"]')).to_have_count(0)
    editor.goto(f"{site.url}/?q=pregnancy")
    expect(editor.locator('[data-slug="pregnancy-and-microneedling"]')).to_have_count(1)


def test_anyone_but_an_editor_gets_404_on_every_editor_page(pages, site):
    paths = ["/articles/new", f"/articles/{ARTICLE}/edit", f"/articles/{ARTICLE}/history"]
    for page in (pages(), signed_in(pages, site, "nurse")):
        for path in paths:
            assert page.goto(site.url + path).status == 404
            expect(page.get_by_role("heading", level=1)).to_contain_text("Not found")


def test_a_refused_form_leads_to_each_problem_and_passes_the_audit(pages, site, screenshots):
    page = signed_in(pages, site, "ed", width=375)
    page.goto(f"{site.url}/articles/new")
    page.get_by_label("Body", exact=True).fill("Text without a title.\n")
    page.get_by_role("button", name="Save").click()
    summary = page.get_by_role("alert").filter(has_text="The article was not saved")
    expect(summary).to_be_focused()
    summary.get_by_role("link", name=re.compile("title. is required")).click()
    expect(page.locator("#field-title .field-error")).to_contain_text("'title' is required")
    expect(page.get_by_label("Title", exact=True)).to_have_attribute("aria-invalid", "true")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=str(screenshots / "editor-errors-375.png"), full_page=True)
    assert serious_violations(page) == []


def test_leaving_a_preview_with_unsaved_text_asks_first(pages, site):
    page = signed_in(pages, site, "ed")
    page.goto(f"{site.url}/articles/new")
    page.get_by_label("Title", exact=True).fill("Unsaved thoughts")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#preview")).to_be_visible()
    asked: list[str] = []
    page.on("dialog", lambda dialog: (asked.append(dialog.type), dialog.dismiss()))
    page.get_by_role("link", name="Cancel").click()
    expect(page.locator("#preview")).to_be_visible()  # still here: the question was answered "stay"
    assert asked == ["beforeunload"]
