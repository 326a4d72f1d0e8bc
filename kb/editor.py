"""Blueprint `editor`: editors write and correct articles in the browser (new, edit, history).

Articles stay Markdown files in the articles folder; this is a second way to write them. The
form is checked by the same code as `kb check` (kb/article_form.py), a preview is rendered by
the article page's renderer and sanitizer, and Save writes the file atomically unless it
changed since the form was opened, records the change and updates the index
(kb/publishing.py). Anyone who is not an editor gets the same 404 as an unknown page.
"""
from __future__ import annotations

import datetime as dt
import logging

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for

from kb import auth
from kb.article_files import EditConflict
from kb.article_form import (
    ArticleFields, check_article, fields_from_file, fields_from_form, file_text, form_problems, propose_slug,
)
from kb.articles import EDITORS, ArticleInvalid
from kb.errors import KbError, NotFound
from kb.extensions import article_files, article_history, search_service
from kb.history import diff_lines
from kb.publishing import save_article
from kb.rendering import render_markdown
from kb.security import csrf_check
from kb.taxonomy import LISTED_FACETS

log = logging.getLogger(__name__)
bp = Blueprint("editor", __name__)

#: Room in a request for the form's other fields beside the body.
FORM_OVERHEAD_BYTES = 64 * 1024
#: The file name a form is checked as while its own slug is refused.
UNNAMED = "unnamed-article"


@bp.before_request
def _editors_only():
    if not auth.is_editor():
        abort(404)  # the same answer as a page that does not exist, with or without a form token
    csrf_check()


@bp.after_request
def _never_stored(response):
    response.cache_control.private = True
    response.cache_control.no_store = True
    return response


@bp.route("/articles/new", methods=["GET", "POST"])
def new_article():
    if request.method == "POST":
        return _submitted(None)
    words = " ".join(request.args.get("q", "").split())[:200]
    title = request.args.get("title", "").strip()[:200] or words[:1].upper() + words[1:]
    fields = ArticleFields(title=title, slug=propose_slug(title))
    return _form(fields, is_new=True, searched_for=words)


@bp.route("/articles/<slug>/edit", methods=["GET", "POST"])
def edit_article(slug: str):
    if request.method == "POST":
        return _submitted(slug)  # a file removed since the form was opened is a conflict, not a 404
    current = article_files().read(slug)
    restoring = None
    raw = current.raw
    if request.args.get("version"):
        restoring = _version_or_404(slug, current.path, request.args["version"])
        raw = article_history().text(slug, current.path, restoring.id).encode("utf-8")
    try:
        fields = fields_from_file(slug, raw)
    except ArticleInvalid as invalid:
        raise KbError(f"{slug}.md cannot be opened in the editor: {invalid}; correct it in the file", status=422, code="unreadable_article") from invalid
    return _form(fields, is_new=False, edited=current.digest, restoring=restoring)


@bp.get("/articles/<slug>/history")
def article_history_page(slug: str):
    current = article_files().read(slug)
    history = article_history()
    versions = history.versions(slug, current.path)
    texts = [history.text(slug, current.path, version.id) or "" for version in versions]
    changes = [diff_lines(older, newer) for newer, older in zip(texts, texts[1:] + [""])]
    title = _title_of(slug)
    return render_template("editor/history.html", slug=slug, title=title, versions=list(zip(versions, changes)), kind=history.kind)


def _submitted(slug: str | None):
    """A Preview or a Save of the form: checked, previewed, saved, or sent back with its problems."""
    limit = int(current_app.config["ARTICLE_MAX_KB"]) * 1024
    # A form sends each byte of text as up to three (%D0%B0 for one Cyrillic letter's two): a body
    # under the limit is always read, and measured in the form below.
    if request.content_length and request.content_length > 3 * limit + FORM_OVERHEAD_BYTES:
        raise KbError(
            f"The article is far larger than the limit of {limit // 1024} KB, so it was not read. Your text is still in "
            "your browser: go back, then shorten it or split it into two articles.", param="body", status=413, code="too_large",
        )
    engine = search_service().engine()
    fields = fields_from_form(request.form)
    is_new = slug is None
    if is_new:
        fields.slug = fields.slug or propose_slug(fields.title)
    else:
        fields.slug = slug
    # No version edited: a new file (also an edited file that was removed meanwhile, saved again).
    edited = None if is_new else request.form.get("edited") or None
    taken = set(engine.slugs(EDITORS)) | ({fields.slug} if is_new and article_files().path_of(fields.slug) else set())
    errors = form_problems(fields, is_new, taken)
    size = len(fields.body.encode("utf-8"))
    if size > limit:
        errors.setdefault("body", []).append(f"The body is {size // 1024} KB; the limit is {limit // 1024} KB. Split it into two articles.")
        return _form(fields, is_new, edited, errors=errors, status=413)
    text = file_text(fields, engine.taxonomy, dt.date.today())
    warnings: dict[str, list[str]] = {}
    # With a slug the form refused, the rest is still checked, as a file of a valid name.
    checked_as = fields.slug if "slug" not in errors else UNNAMED
    for field, problems in check_article(text, checked_as, engine.taxonomy, engine.slugs(EDITORS), fields.related_slugs, fields.body).items():
        if field != "slug" or checked_as != UNNAMED:
            for problem in problems:
                (errors if problem.fatal else warnings).setdefault(field, []).append(_sentence(problem.message))
    if request.form.get("action") != "save" or errors:
        return _form(fields, is_new, edited, errors=errors, warnings=warnings, preview=True, status=422 if errors else 200)
    return _save(fields, text, is_new, edited, warnings, request.form.get("restoring", "")[:200])


def _save(fields: ArticleFields, text: str, is_new: bool, edited: str | None, warnings, restoring: str):
    name = auth.staff_name()
    message = f"Restore {fields.slug} to {restoring}" if restoring else f"{'Create' if is_new else 'Edit'} {fields.slug} in the browser"
    try:
        outcome = save_article(article_files(), article_history(), current_app.config, fields.slug, text, edited, name, message)
    except EditConflict as conflict:
        theirs = conflict.current.text if conflict.current else ""
        latest = _latest_version(fields.slug, conflict.current)
        return _form(
            fields, is_new and conflict.current is None, conflict.current.digest if conflict.current else None,
            warnings=warnings, conflict={"theirs": theirs, "diff": diff_lines(theirs, text), "latest": latest}, status=409,
        )
    log.info("%s saved %s (%.2f s to searchable)", name, fields.slug, outcome.seconds)
    if not outcome.changed:
        flash("Nothing changed since the last save.", "info")
    elif outcome.index_error:
        flash(f"Saved, but the search does not show this version yet: {outcome.index_error}. Running `kb index` adds it.", "warning")
    else:
        flash(f"Saved. {'Only editors see this draft' if fields.status == 'draft' else 'It is in the search now'}.", "success")
    for messages in warnings.values():
        for warning in messages:
            flash(f"Saved with a warning: {warning}", "warning")
    if outcome.history_error:
        flash(f"The change was not recorded in the history: {outcome.history_error}", "warning")
    return redirect(url_for("web.article_page", slug=fields.slug))


def _form(fields: ArticleFields, is_new: bool, edited: str | None = None, *, errors=None, warnings=None,
          preview: bool = False, conflict=None, restoring=None, searched_for: str = "", status: int = 200):
    engine = search_service().engine()
    rendered = render_markdown(fields.body)[0] if preview else None
    return render_template(
        "editor/form.html",
        fields=fields, is_new=is_new, edited=edited or "", errors=errors or {}, warnings=warnings or {},
        preview=rendered, conflict=conflict, restoring=restoring, searched_for=searched_for,
        submitted=request.method == "POST", saving=request.form.get("action") == "save",
        taxonomy=engine.taxonomy, listed_facets=LISTED_FACETS, max_kb=int(current_app.config["ARTICLE_MAX_KB"]), history_kind=article_history().kind,
    ), status


def _latest_version(slug: str, current):
    """Who saved the version now in the file, and when, when the history knows (else None)."""
    if current is None:
        return None
    versions = article_history().versions(slug, current.path)
    return versions[0] if versions else None


def _version_or_404(slug: str, path, version: str):
    for known in article_history().versions(slug, path):
        if known.id == version:
            return known
    raise NotFound(f"no version '{version}' of '{slug}'", param="version")


def _title_of(slug: str) -> str:
    engine = search_service().engine()
    return engine.article(slug, EDITORS)["title"] if engine.is_visible(slug, EDITORS) else slug


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")
