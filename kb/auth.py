"""Blueprint `auth`: staff sign-in and sign-out, and who the current visitor is.

The session cookie (signed by Flask) holds the staff name, the account's stamp and the
session's id; every request checks the stamp against the accounts file (`kb user remove`, a
password reset or signing out everywhere end open sessions at once) and the id against the
ended sessions (signing out ends that session on every node: kb/sessions.py). Anything
rendered for a signed-in person is `private, no-store`. Forms carry Flask-WTF's CSRF token.
"""
from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Blueprint, g, redirect, render_template, request, session

from kb.accounts import EDITOR_ROLE
from kb.articles import EDITORS, PUBLIC, STAFF
from kb.devices import remember_device
from kb.extensions import ended_sessions, staff_accounts
from kb.sessions import new_session_id

log = logging.getLogger(__name__)
bp = Blueprint("auth", __name__)


@bp.after_request
def _never_stored(response):
    """Sign-in pages carry a CSRF token and a session: no cache may keep them."""
    response.cache_control.no_store = True
    return response


@bp.after_app_request
def _personal_answers_are_never_stored(response):
    """What was rendered for a signed-in person (a name, a CSRF token, staff-only articles) is
    kept by no cache, shared or not."""
    if g.get("staff_name"):
        response.cache_control.public = False
        response.cache_control.max_age = None
        response.cache_control.no_cache = None
        response.cache_control.private = True
        response.cache_control.no_store = True
    return response


def staff_name() -> str | None:
    """The signed-in staff member's name, or None; a session whose account changed, or that
    was signed out, is ended."""
    if "staff_name" not in g:
        name, stamp, session_id = session.get("staff"), session.get("stamp"), session.get("id")
        if name and stamp and session_id and staff_accounts().stamp(name) == stamp and not _has_ended(session_id):
            g.staff_name = name
        else:
            if name:
                log.info("session of %s ended: signed out, account removed or password reset", name)
                session.clear()
            g.staff_name = None
    return g.staff_name


def _has_ended(session_id: str) -> bool:
    """Whether the session was signed out; when the store cannot tell, it has (fail closed)."""
    try:
        return ended_sessions().has_ended(session_id)
    except Exception:  # noqa: BLE001 - any store failure (Redis down, unreadable folder) ends the session
        log.exception("the ended-sessions store cannot be read: treating the session as ended")
        return True


def is_editor() -> bool:
    """Whether the signed-in person may write articles; read on every request, so that a role
    taken away by `kb user role` applies at once."""
    if "is_editor" not in g:
        name = staff_name()
        g.is_editor = bool(name) and staff_accounts().role(name) == EDITOR_ROLE
    return g.is_editor


def audience() -> str:
    """Who is reading: the public, staff, or editors (who also see drafts)."""
    if not staff_name():
        return PUBLIC
    return EDITORS if is_editor() else STAFF


def safe_next(target: str | None) -> str:
    """Only a path on this site may follow sign-in: never another host (an open redirect)."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    next_page = safe_next(request.values.get("next"))
    if staff_name() and request.method == "GET":
        return redirect(next_page)
    failed = False
    if request.method == "POST":
        name = request.form.get("name", "")
        stamp = staff_accounts().verify(name, request.form.get("password", ""))
        if stamp is not None:
            session.clear()  # a fresh session on sign-in: nothing carried over from before
            session["staff"] = name.strip().casefold()
            session["stamp"] = stamp
            session["id"] = new_session_id()
            session.permanent = True
            log.info("staff %s signed in", session["staff"])
            response = redirect(next_page)
            remember_device(response, session["staff"])
            return response
        failed = True
        log.info("failed sign-in for %r from %s", name[:64], request.remote_addr)
    status = 401 if failed else 200
    return render_template("auth/login.html", failed=failed, next_page=next_page, name=request.form.get("name", "")), status


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    if request.method == "POST":
        name = staff_name()
        if name:
            if request.form.get("everywhere"):
                staff_accounts().end_sessions(name)
                log.info("staff %s signed out everywhere", name)
            else:
                log.info("staff %s signed out", name)
            # Ended on every node, so that a copy of the cookie is refused too.
            try:
                ended_sessions().end(session["id"])
            except Exception:  # noqa: BLE001 - the store went away since staff_name() read it
                log.exception("the end of %s's session could not be recorded; its cookie is still cleared", name)
        session.clear()
        return redirect("/")
    if not staff_name():
        return redirect("/")
    # Signing out changes state, so it takes a POST with the CSRF token; GET asks first.
    return render_template("auth/logout.html")
