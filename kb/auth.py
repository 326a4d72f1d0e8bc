"""Blueprint `auth`: staff sign-in and sign-out, and who the current visitor is.

The session cookie (signed by Flask) holds the staff name and the account's stamp; every
request checks the stamp against the accounts file, so `kb user remove` or a password reset
ends open sessions at once. Forms carry Flask-WTF's CSRF token.
"""
from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Blueprint, g, redirect, render_template, request, session

from kb.articles import PUBLIC, STAFF
from kb.extensions import staff_accounts

log = logging.getLogger(__name__)
bp = Blueprint("auth", __name__)


@bp.after_request
def _never_stored(response):
    """Sign-in pages carry a CSRF token and a session: no cache may keep them."""
    response.cache_control.no_store = True
    return response


def staff_name() -> str | None:
    """The signed-in staff member's name, or None; a session whose account changed is ended."""
    if "staff_name" not in g:
        name, stamp = session.get("staff"), session.get("stamp")
        if name and stamp and staff_accounts().stamp(name) == stamp:
            g.staff_name = name
        else:
            if name:
                log.info("session of %s ended: account removed or password reset", name)
                session.clear()
            g.staff_name = None
    return g.staff_name


def audience() -> str:
    return STAFF if staff_name() else PUBLIC


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
            session.permanent = True
            log.info("staff %s signed in", session["staff"])
            return redirect(next_page)
        failed = True
        log.info("failed sign-in for %r from %s", name[:64], request.remote_addr)
    status = 401 if failed else 200
    return render_template("auth/login.html", failed=failed, next_page=next_page, name=request.form.get("name", "")), status


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    if request.method == "POST":
        if staff_name():
            log.info("staff %s signed out", staff_name())
        session.clear()
        return redirect("/")
    if not staff_name():
        return redirect("/")
    # Signing out changes state, so it takes a POST with the CSRF token; GET asks first.
    return render_template("auth/logout.html")
