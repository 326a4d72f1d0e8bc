"""Editing articles in the browser, through the Flask client over a private copy of the fixture
articles and the real index: roles, the form's checks, saves, conflicts, drafts and history."""
from __future__ import annotations

import html
import re
import subprocess
from pathlib import Path

import pytest

from conftest import build, make_app
from helpers import PASSWORD, sign_in
from kb import publishing
from kb.index import IndexStore

NEW_SLUG = "eczema-and-microneedling"
EXISTING = "what-is-microneedling"


@pytest.fixture
def editing(articles_copy, tmp_path):
    """An app over a private article copy, indexed, with an editor "ed" and a staff member "nurse"."""
    build(articles_copy, tmp_path / "index")
    app = make_app(articles_copy, tmp_path / "index", tmp_path / "instance")
    app.extensions["kb.accounts"].add("ed", PASSWORD, "editor")
    app.extensions["kb.accounts"].add("nurse", PASSWORD)
    app.articles = articles_copy
    yield app
    app.extensions["kb.search"].close()


@pytest.fixture
def editor(editing):
    client = editing.test_client()
    assert sign_in(client, "ed").status_code == 302
    return client


def token(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def edited_digest(page: str) -> str:
    return re.search(r'name="edited" value="([^"]*)"', page).group(1)


def new_article_form(client, **fields) -> dict:
    page = client.get("/articles/new").get_data(as_text=True)
    form = {
        "csrf_token": token(page), "title": "Eczema and microneedling", "summary": "Whether people with eczema can have microneedling.",
        "body": "## Active eczema\n\nTreatment waits until the skin has settled.\n", "procedure": ["microneedling"],
        "audience": "public", "status": "published", "action": "save",
    }
    form.update(fields)
    return form


def edit_form(client, slug: str, **changes) -> dict:
    """The edit form as the browser would send it back, with `changes`."""
    page = client.get(f"/articles/{slug}/edit").get_data(as_text=True)
    form = {"csrf_token": token(page), "edited": edited_digest(page), "action": "save"}
    for name in ("title", "summary", "cost_min", "cost_max", "reviewed_by", "reviewed_on", "reviewed_next"):
        match = re.search(rf'id="{name}" name="{name}" type="\w+" value="([^"]*)"', page)
        form[name] = match.group(1) if match else ""
    for name in ("summary", "body", "related"):
        form[name] = re.search(rf'<textarea id="{name}" name="{name}"[^>]*>(.*?)</textarea>', page, re.S).group(1)
    for name in ("audience", "status"):
        form[name] = re.search(rf'name="{name}" value="(\w+)" checked', page).group(1)
    form = {key: html.unescape(value) if isinstance(value, str) else value for key, value in form.items()}
    for key, value in re.findall(r'<input type="checkbox" name="(\w+)" value="([^"]+)" checked>', page):
        form.setdefault(key, []).append(value)
    form.update(changes)
    return form


def public_search(client, q: str) -> list[str]:
    return [hit["slug"] for hit in client.get("/api/v1/search", query_string={"q": q}).get_json()["hits"]]


# -- roles ---------------------------------------------------------------------------------------


def test_kb_user_add_with_a_role_and_the_role_kept_on_a_password_reset(runner, app):
    result = runner.invoke(args=["user", "add", "Ed", "--role", "editor"], input=f"{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "Editor account 'ed' created" in result.output
    runner.invoke(args=["user", "add", "nurse"], input=f"{PASSWORD}\n")
    runner.invoke(args=["user", "add", "ed"], input="another long password\n")  # a reset keeps the role
    assert runner.invoke(args=["user", "list"]).output.split() == ["ed", "editor", "nurse", "staff"]
    assert runner.invoke(args=["user", "role", "ed", "staff"]).exit_code == 0
    assert app.extensions["kb.accounts"].role("ed") == "staff"
    refused = runner.invoke(args=["user", "add", "x", "--role", "admin"], input=f"{PASSWORD}\n")
    assert refused.exit_code != 0 and "admin" in refused.output


def test_an_account_made_before_roles_is_staff(app, tmp_path):
    accounts = app.extensions["kb.accounts"]
    accounts.add("old", PASSWORD)
    raw = accounts.path.read_text().replace('"role": "staff"', '"x": 1')
    accounts.path.write_text(raw)
    assert accounts.role("old") == "staff"


def normalised(body: bytes) -> str:
    return re.sub(r'value="[^"]+"', 'value=""', body.decode())


@pytest.mark.parametrize("method,path", [
    ("GET", "/articles/new"), ("POST", "/articles/new"), ("GET", f"/articles/{EXISTING}/edit"),
    ("POST", f"/articles/{EXISTING}/edit"), ("GET", f"/articles/{EXISTING}/history"), ("GET", "/articles/no-such/edit"),
])
@pytest.mark.parametrize("who", ["public", "staff"])
def test_anyone_but_an_editor_gets_the_404_of_an_unknown_page(editing, method, path, who):
    client = editing.test_client()
    if who == "staff":
        assert sign_in(client, "nurse").status_code == 302
    unknown = client.get("/no/such/page")
    answer = client.open(path, method=method, data={"title": "x", "action": "save"})
    assert answer.status_code == unknown.status_code == 404
    assert normalised(answer.data) == normalised(unknown.data)
    assert not (editing.articles / "x.md").exists()


def test_a_role_taken_away_applies_at_the_next_request(editing, editor):
    assert editor.get("/articles/new").status_code == 200
    editing.extensions["kb.accounts"].set_role("ed", "staff")
    assert editor.get("/articles/new").status_code == 404
    assert "Edit" not in editor.get(f"/articles/{EXISTING}").get_data(as_text=True).split("</h1>")[1].split("</header>")[0]


def test_editors_see_edit_history_and_new_article_links_and_staff_do_not(editing, editor):
    page = editor.get(f"/articles/{EXISTING}").get_data(as_text=True)
    assert f'href="/articles/{EXISTING}/edit"' in page and f'href="/articles/{EXISTING}/history"' in page
    assert 'href="/articles/new"' in editor.get("/").get_data(as_text=True)
    staff = editing.test_client()
    sign_in(staff, "nurse")
    for path in (f"/articles/{EXISTING}", "/"):
        page = staff.get(path).get_data(as_text=True)
        assert "/edit" not in page and "/articles/new" not in page


# -- creating and editing ------------------------------------------------------------------------


def test_a_new_article_is_written_as_a_file_and_searchable_when_the_save_answers(editing, editor):
    assert public_search(editor, "eczema") == []
    answer = editor.post("/articles/new", data=new_article_form(editor))
    assert answer.status_code == 302 and answer.headers["Location"] == f"/articles/{NEW_SLUG}"
    text = (editing.articles / f"{NEW_SLUG}.md").read_text()
    assert text.startswith("---\ntitle: Eczema and microneedling\nsummary: Whether people with eczema can have microneedling.\n")
    assert "procedure: [microneedling]\n" in text and text.endswith("---\n## Active eczema\n\nTreatment waits until the skin has settled.\n")
    assert public_search(editing.test_client(), "eczema") == [NEW_SLUG]
    assert "It is in the search now" in editor.get(answer.headers["Location"]).get_data(as_text=True)


def test_the_save_updates_the_index_incrementally_with_one_document(editing, tmp_path):
    from kb.article_files import ArticleFiles
    from kb.history import FolderHistory

    files = ArticleFiles(editing.articles, tmp_path / "instance")
    (tmp_path / "instance").mkdir(exist_ok=True)
    current = files.read(EXISTING)
    text = current.text.replace("collagen", "collagen and elastin", 1)
    outcome = publishing.save_article(files, FolderHistory(tmp_path / "history"), editing.config, EXISTING, text, current.digest, "ed", "Edit")
    report = outcome.report
    assert (report.added, report.updated, report.removed, report.full) == (0, 1, 0, False)
    assert report.unchanged == len(IndexStore(editing.config["INDEX_DIR"]).manifest().articles) - 1


def test_the_new_article_form_is_prefilled_from_a_patients_words(editor):
    page = editor.get("/articles/new", query_string={"q": "eczema  flare"}).get_data(as_text=True)
    assert 'id="title" name="title" type="text" value="Eczema flare"' in page
    assert 'id="slug" name="slug" type="text" value="eczema-flare"' in page
    assert "Patients searched for “eczema flare”" in page


def test_an_edit_changes_the_file_the_search_and_the_history(editing, editor):
    form = edit_form(editor, EXISTING)
    form["body"] = form["body"] + "\nA zebrafish study is not part of this article.\n"
    assert editor.post(f"/articles/{EXISTING}/edit", data=form).status_code == 302
    assert "zebrafish" in (editing.articles / f"{EXISTING}.md").read_text()
    assert public_search(editor, "zebrafish") == [EXISTING]
    history = editor.get(f"/articles/{EXISTING}/history").get_data(as_text=True)
    assert "Edit what-is-microneedling in the browser" in history and "· ed</h2>" in history
    assert '<span class="diff-add"><span class="visually-hidden">Added: </span>+A zebrafish study is not part of this article.</span>' in history


def test_saving_an_unchanged_form_writes_nothing(editing, editor):
    path = editing.articles / f"{EXISTING}.md"
    form = edit_form(editor, EXISTING)
    # The form writes the front matter as the editor does; a first save may reformat it. The second changes nothing.
    editor.post(f"/articles/{EXISTING}/edit", data=form)
    first = path.read_bytes()
    answer = editor.post(f"/articles/{EXISTING}/edit", data=edit_form(editor, EXISTING))
    assert answer.status_code == 302 and path.read_bytes() == first
    assert "Nothing changed" in editor.get(answer.headers["Location"]).get_data(as_text=True)


# -- the form's checks ---------------------------------------------------------------------------


@pytest.mark.parametrize("changes,field,message", [
    ({"title": ""}, "title", "&#39;title&#39; is required"),
    ({"summary": ""}, "summary", "&#39;summary&#39; is required"),
    ({"procedure": ["microneedling", "laser-tattoo"]}, "procedure", "Unknown procedure &#39;laser-tattoo&#39;"),
    ({"cost_min": "15x"}, "cost", "Cost min must be a non-negative number, not &#39;15x&#39;"),
    ({"cost_min": "400", "cost_max": "150"}, "cost", "Cost min (400) is greater than max (150)"),
    ({"reviewed_by": "Dr A", "reviewed_on": "2026-13-45", "reviewed_next": "2027-01-01"}, "reviewed", "Reviewed on must be a date like 2026-11-01"),
    ({"audience": "everyone"}, "audience", "Audience must be &#39;public&#39; or &#39;staff&#39;"),
    ({"source_file": ["a.txt"], "source_title": ["A"], "source_url": ["javascript:alert(1)"]}, "sources", "url must be an http(s) address"),
    ({"slug": "Eczema Page"}, "slug", "Use lowercase letters, digits and single hyphens"),
    ({"slug": "../../outside"}, "slug", "Use lowercase letters, digits and single hyphens"),
    ({"slug": "new"}, "slug", "&#39;new&#39; is already the address of another page"),
    ({"slug": EXISTING}, "slug", f"&#39;{EXISTING}&#39; is already the address of another page"),
    ({"title": "t" * 201}, "title", "keep it to 200"),
])
def test_a_refused_form_names_the_problem_beside_its_field_and_writes_nothing(editing, editor, changes, field, message):
    before = sorted(path.name for path in editing.articles.rglob("*"))
    answer = editor.post("/articles/new", data=new_article_form(editor, **changes))
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    block = re.search(rf'id="field-{field}".*?(?=<(?:div|fieldset) class="field|<div class="editor-)', page, re.S).group(0)
    assert 'class="field-error"' in block and message in block, block[-600:]
    assert "The article was not saved" in page
    assert sorted(path.name for path in editing.articles.rglob("*")) == before
    assert not list(editing.articles.parent.glob("outside*"))


def test_a_warning_of_kb_check_is_shown_and_does_not_stop_the_save(editing, editor):
    answer = editor.post("/articles/new", data=new_article_form(editor, related="no-such-article", action="preview"))
    assert answer.status_code == 200
    assert "Related article &#39;no-such-article&#39; does not exist." in answer.get_data(as_text=True)
    assert editor.post("/articles/new", data=new_article_form(editor, related="no-such-article")).status_code == 302


def test_without_a_csrf_token_nothing_is_saved(editing, editor):
    form = new_article_form(editor)
    del form["csrf_token"]
    answer = editor.post("/articles/new", data=form)
    assert answer.status_code == 400 and "This form has expired" in answer.get_data(as_text=True)
    assert not (editing.articles / f"{NEW_SLUG}.md").exists()


def editor_with(articles_copy, tmp_path, **settings):
    """An app over the article copy with these settings, and its client signed in as an editor."""
    build(articles_copy, tmp_path / "index")
    app = make_app(articles_copy, tmp_path / "index", tmp_path / "instance", **settings)
    app.extensions["kb.accounts"].add("ed", PASSWORD, "editor")
    client = app.test_client()
    assert sign_in(client, "ed").status_code == 302
    return app, client


def test_a_body_over_the_limit_is_refused_with_413_and_kept_in_the_form(articles_copy, tmp_path):
    app, client = editor_with(articles_copy, tmp_path, ARTICLE_MAX_KB=2)
    body = "Long text. " * 300
    answer = client.post("/articles/new", data=new_article_form(client, body=body))
    assert answer.status_code == 413 and "the limit is 2 KB" in answer.get_data(as_text=True)
    assert body.strip() in answer.get_data(as_text=True)
    huge = client.post("/articles/new", data=new_article_form(client, body="x" * 200_000))
    assert huge.status_code == 413
    assert not (articles_copy / f"{NEW_SLUG}.md").exists()
    app.extensions["kb.search"].close()


def test_a_slug_never_leads_out_of_the_articles_folder(editing, editor, tmp_path):
    outside = tmp_path / "outside.md"
    outside.write_text((editing.articles / f"{EXISTING}.md").read_text())
    (editing.articles / "escape.md").symlink_to(outside)
    answer = editor.get("/articles/escape/edit")
    assert answer.status_code == 400 and "outside the articles folder" in answer.get_data(as_text=True)
    for slug in ("..", "..%2F..%2Fetc", "%2E%2E"):
        assert editor.get(f"/articles/{slug}/edit").status_code in (404, 400)


def test_hostile_markdown_is_stored_as_written_and_never_rendered(editing, editor):
    body = '<script>alert(1)</script>\n\n[click](javascript:alert(2))\n\n<img src=x onerror="alert(3)">\n'
    preview = editor.post("/articles/new", data=new_article_form(editor, body=body, action="preview")).get_data(as_text=True)
    shown = preview.split('id="preview-title"')[1]
    assert "<script>alert" not in shown and "javascript:" not in shown and "onerror" not in shown
    assert editor.post("/articles/new", data=new_article_form(editor, body=body)).status_code == 302
    assert body in (editing.articles / f"{NEW_SLUG}.md").read_text()
    page = editor.get(f"/articles/{NEW_SLUG}").get_data(as_text=True)
    assert "<script>alert" not in page and "javascript:" not in page and "onerror" not in page


# -- conflicts -----------------------------------------------------------------------------------


def test_the_second_of_two_saves_is_refused_and_both_texts_are_kept(editing, editor):
    other = editing.test_client()
    editing.extensions["kb.accounts"].add("kim", PASSWORD, "editor")
    sign_in(other, "kim")
    mine, theirs = edit_form(editor, EXISTING), edit_form(other, EXISTING)
    theirs["body"] += "\nTheir paragraph about tattoos.\n"
    mine["body"] += "\nMy paragraph about freckles.\n"
    assert other.post(f"/articles/{EXISTING}/edit", data=theirs).status_code == 302
    refused = editor.post(f"/articles/{EXISTING}/edit", data=mine)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 409 and "This article changed since you opened it" in page
    assert "My paragraph about freckles." in page.split('id="body"')[1]  # mine, still in the form
    assert "Their paragraph about tattoos." in page.split('id="theirs"')[1].split("</textarea>")[0]
    file_text = (editing.articles / f"{EXISTING}.md").read_text()
    assert "tattoos" in file_text and "freckles" not in file_text
    # Merged and saved again, over the version it was shown.
    mine["body"] += "\nTheir paragraph about tattoos.\n"
    mine["edited"] = edited_digest(page)
    assert editor.post(f"/articles/{EXISTING}/edit", data=mine).status_code == 302
    assert "freckles" in (editing.articles / f"{EXISTING}.md").read_text()


def test_a_file_changed_on_disk_counts_as_a_change(editing, editor):
    form = edit_form(editor, EXISTING)
    path = editing.articles / f"{EXISTING}.md"
    path.write_text(path.read_text() + "\nPulled from git.\n")
    form["body"] += "\nMine.\n"
    assert editor.post(f"/articles/{EXISTING}/edit", data=form).status_code == 409
    assert "Pulled from git." in path.read_text() and "Mine." not in path.read_text()


def test_a_new_article_whose_file_appeared_meanwhile_is_not_overwritten(editing, editor):
    form = new_article_form(editor)
    (editing.articles / f"{NEW_SLUG}.md").write_text("---\ntitle: Theirs\nsummary: s\n---\nTheirs.\n")
    answer = editor.post("/articles/new", data=form)
    assert answer.status_code == 422  # the slug is taken: the form says so before anything is written
    assert (editing.articles / f"{NEW_SLUG}.md").read_text().endswith("Theirs.\n")


# -- drafts --------------------------------------------------------------------------------------


def test_a_draft_is_seen_by_editors_only_and_publishing_is_changing_its_status(editing, editor):
    assert editor.post("/articles/new", data=new_article_form(editor, status="draft")).status_code == 302
    public, staff = editing.test_client(), editing.test_client()
    sign_in(staff, "nurse")
    assert public_search(public, "eczema") == []
    assert public.get(f"/api/v1/articles/{NEW_SLUG}").status_code == 404
    assert public.get("/api/v1/suggest", query_string={"q": "ecze"}).get_json()["suggestions"] == []
    for client in (public, staff):
        assert NEW_SLUG not in client.get("/", query_string={"q": "eczema"}).get_data(as_text=True)
        unknown = client.get("/articles/no-such-article")
        draft = client.get(f"/articles/{NEW_SLUG}")
        assert draft.status_code == unknown.status_code == 404
    mine = editor.get("/", query_string={"q": "eczema"}).get_data(as_text=True)
    assert f'data-slug="{NEW_SLUG}"' in mine and '<span class="badge draft">Draft</span>' in mine
    form = edit_form(editor, NEW_SLUG, status="published")
    assert editor.post(f"/articles/{NEW_SLUG}/edit", data=form).status_code == 302
    assert public_search(public, "eczema") == [NEW_SLUG]
    assert staff.get(f"/articles/{NEW_SLUG}").status_code == 200


# -- history -------------------------------------------------------------------------------------


def git(folder: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(folder), *args], check=True, capture_output=True, text=True).stdout


@pytest.fixture
def git_articles(editing):
    folder = editing.articles
    git(folder, "init", "-q")
    git(folder, "-c", "user.name=Clinic", "-c", "user.email=clinic@example.org", "add", ".")
    git(folder, "-c", "user.name=Clinic", "-c", "user.email=clinic@example.org", "commit", "-qm", "The articles")
    return folder


def test_in_a_git_folder_each_save_is_a_commit_by_the_editor_and_restoring_adds_one(editing, editor, git_articles):
    form = edit_form(editor, EXISTING)
    original_body = form["body"]
    form["body"] += "\nA first change.\n"
    assert editor.post(f"/articles/{EXISTING}/edit", data=form).status_code == 302
    log = git(git_articles, "log", "--format=%an|%s", "--", f"{EXISTING}.md").splitlines()
    assert log == ["ed|Edit what-is-microneedling in the browser", "Clinic|The articles"]
    first_commit = git(git_articles, "rev-list", "--max-parents=0", "HEAD").strip()
    page = editor.get(f"/articles/{EXISTING}/history").get_data(as_text=True)
    assert "Each version is a commit" in page and page.count('class="version"') == 2
    restore = editor.get(f"/articles/{EXISTING}/edit", query_string={"version": first_commit}).get_data(as_text=True)
    assert "Restoring the version saved on" in restore and "A first change." not in restore.split('id="body"')[1].split("</textarea>")[0]
    form = edit_form(editor, EXISTING)
    form["body"] = original_body
    restored = editor.post(f"/articles/{EXISTING}/edit", data=form)
    assert restored.status_code == 302
    assert len(git(git_articles, "log", "--format=%H", "--", f"{EXISTING}.md").split()) == 3  # history only grows
    assert "A first change." not in (git_articles / f"{EXISTING}.md").read_text()


def test_a_change_made_outside_the_editor_is_committed_as_its_own_version(editing, editor, git_articles):
    path = git_articles / f"{EXISTING}.md"
    path.write_text(path.read_text() + "\nTyped in a text editor.\n")
    form = edit_form(editor, EXISTING)
    form["body"] += "\nTyped in the browser.\n"
    assert editor.post(f"/articles/{EXISTING}/edit", data=form).status_code == 302
    log = git(git_articles, "log", "--format=%an|%s", "--", f"{EXISTING}.md").splitlines()
    assert log[:2] == ["ed|Edit what-is-microneedling in the browser", "outside the editor|Changed outside the editor"]


def test_without_git_the_versions_are_kept_in_the_instance_folder(editing, editor):
    path = editing.articles / f"{EXISTING}.md"
    form = edit_form(editor, EXISTING)
    form["body"] += "\nKept in the instance folder.\n"
    assert editor.post(f"/articles/{EXISTING}/edit", data=form).status_code == 302
    versions = sorted((Path(editing.instance_path) / "history" / EXISTING).glob("*.json"))
    assert len(versions) == 2  # the file as it was, then the save
    page = editor.get(f"/articles/{EXISTING}/history").get_data(as_text=True)
    assert "kept in the service" in page and "+Kept in the instance folder." in page
    assert path.read_text().endswith("Kept in the instance folder.\n")


def test_an_unknown_version_is_a_404(editor):
    assert editor.get(f"/articles/{EXISTING}/edit", query_string={"version": "0" * 40}).status_code == 404


# -- a failed index update -----------------------------------------------------------------------


def test_a_failed_index_update_keeps_the_file_says_so_and_kb_index_repairs_it(editing, editor, monkeypatch):
    monkeypatch.setattr(publishing, "INDEX_WAIT_SECONDS", 0)
    store = IndexStore(editing.config["INDEX_DIR"])
    with store.writer_lock():  # a `kb index` is writing
        answer = editor.post("/articles/new", data=new_article_form(editor))
    assert answer.status_code == 302 and (editing.articles / f"{NEW_SLUG}.md").exists()
    page = editor.get(answer.headers["Location"])
    assert page.status_code == 404  # not in the index yet
    assert "Saved, but the search does not show this version yet" in page.get_data(as_text=True)
    result = editing.test_cli_runner().invoke(args=["index"])
    assert "1 added" in result.output
    assert public_search(editing.test_client(), "eczema") == [NEW_SLUG]


def test_a_file_removed_since_the_form_was_opened_is_a_conflict_that_keeps_the_text(editing, editor):
    form = edit_form(editor, EXISTING)
    form["body"] += "\nWritten while the file went away.\n"
    (editing.articles / f"{EXISTING}.md").unlink()
    answer = editor.post(f"/articles/{EXISTING}/edit", data=form)
    assert answer.status_code == 409 and "Written while the file went away." in answer.get_data(as_text=True)
    assert not (editing.articles / f"{EXISTING}.md").exists()
    form["edited"] = edited_digest(answer.get_data(as_text=True))  # saved again from the conflict page: the file is back
    assert form["edited"] == "" and editor.post(f"/articles/{EXISTING}/edit", data=form).status_code == 302
    assert (editing.articles / f"{EXISTING}.md").read_text().endswith("Written while the file went away.\n")


def test_a_status_other_than_draft_or_published_is_named_beside_the_status(editor):
    answer = editor.post("/articles/new", data=new_article_form(editor, status="archived"))
    assert answer.status_code == 422
    assert "Status must be &#39;draft&#39; or &#39;published&#39;, not &#39;archived&#39;." in answer.get_data(as_text=True).split('id="field-status"')[1]


def test_an_article_in_a_subfolder_is_edited_where_it_is(editing, editor):
    (editing.articles / "aftercare").mkdir()
    (editing.articles / f"{EXISTING}.md").rename(editing.articles / "aftercare" / f"{EXISTING}.md")
    editing.test_cli_runner().invoke(args=["index"])
    form = edit_form(editor, EXISTING)
    form["body"] += "\nIn its subfolder.\n"
    assert editor.post(f"/articles/{EXISTING}/edit", data=form).status_code == 302
    assert (editing.articles / "aftercare" / f"{EXISTING}.md").read_text().endswith("In its subfolder.\n")
    assert not (editing.articles / f"{EXISTING}.md").exists()


def test_a_body_under_the_limit_is_saved_whatever_its_letters(articles_copy, tmp_path):
    """Cyrillic letters and line breaks are sent as up to three times their bytes: still read and saved."""
    app, client = editor_with(articles_copy, tmp_path, ARTICLE_MAX_KB=200)
    body = "- Экзема\n" * 13_000  # 195 KB of UTF-8; 585 KB once the form encodes it
    assert len(body.encode()) < 200 * 1024
    assert client.post("/articles/new", data=new_article_form(client, body=body)).status_code == 302
    assert (articles_copy / f"{NEW_SLUG}.md").read_text().endswith(body)
    app.extensions["kb.search"].close()


def test_a_broken_related_article_is_named_beside_other_problems_and_after_the_save(editing, editor):
    refused = editor.post("/articles/new", data=new_article_form(editor, summary="", related="not-an-article"))
    related = refused.get_data(as_text=True).split('id="field-related"')[1].split('id="field-sources"')[0]
    assert refused.status_code == 422 and "Related article &#39;not-an-article&#39; does not exist." in related
    saved = editor.post("/articles/new", data=new_article_form(editor, related="not-an-article"))
    page = editor.get(saved.headers["Location"]).get_data(as_text=True)
    assert "Saved with a warning: Related article &#39;not-an-article&#39; does not exist." in page


def test_a_restore_is_recorded_as_a_restore(editing, editor, git_articles):
    form = edit_form(editor, EXISTING)
    form["body"] += "\nA change to undo.\n"
    editor.post(f"/articles/{EXISTING}/edit", data=form)
    first = git(git_articles, "rev-list", "--max-parents=0", "HEAD").strip()
    page = editor.get(f"/articles/{EXISTING}/edit", query_string={"version": first}).get_data(as_text=True)
    restored = edit_form(editor, EXISTING)
    restored["body"] = re.search(r'<textarea id="body" name="body"[^>]*>(.*?)</textarea>', page, re.S).group(1)
    restored["restoring"] = re.search(r'name="restoring" value="([^"]+)"', page).group(1)
    assert editor.post(f"/articles/{EXISTING}/edit", data=restored).status_code == 302
    subject = git(git_articles, "log", "-1", "--format=%an|%s").strip()
    assert subject.startswith(f"ed|Restore {EXISTING} to the version of ") and subject.endswith(" by Clinic")
