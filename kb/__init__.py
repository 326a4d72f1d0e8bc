"""The clinic knowledge-base search service: create_app() builds the Flask app."""
from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
from pathlib import Path

from flask import Flask
from flask import Response as FlaskResponse
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

from kb.settings import DEFAULTS

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PATH_SETTINGS = ("ARTICLES_DIR", "INDEX_DIR", "INSTANCE_DIR", "TAXONOMY_FILE")
#: Flask and Flask-WTF settings whose defaults differ here; instance config or KB_* may still change them.
FLASK_DEFAULTS = {
    "SESSION_COOKIE_NAME": "kb_session",
    "SESSION_COOKIE_SAMESITE": "Lax",
    # The CSRF token lives as long as the session: a sign-in form left open over lunch still works.
    "WTF_CSRF_TIME_LIMIT": None,
}


def create_app(test_config: dict | None = None) -> Flask:
    """The configured app (`configured_app`) with its search service, security and blueprints."""
    app = configured_app(test_config)

    from kb import api, auth, cli, handlers, security, web, widget
    from kb.accounts import StaffAccounts
    from kb.answers import AnswerCache
    from kb.ranking import Ranking
    from kb.search import SearchService

    app.extensions["kb.search"] = SearchService(app.config["INDEX_DIR"], Ranking.from_settings(app.config))
    app.extensions["kb.answers"] = AnswerCache(int(app.config["ANSWER_CACHE_SIZE"]))
    app.extensions["kb.accounts"] = StaffAccounts(app.instance_path)
    security.protect_forms(app)
    app.register_blueprint(api.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(web.bp)
    app.register_blueprint(widget.bp)
    handlers.register_error_handlers(app)
    security.protect(app, api=api.bp, sign_in=auth.bp)
    api.enable_cors(app)
    cli.register(app)
    return app


def configured_app(test_config: dict | None = None) -> Flask:
    """The app with its configuration only (defaults -> instance kb.cfg -> KB_* environment -> test
    config): all the `kb` commands need, without the web app's imports (0.25 s of `kb index`)."""
    instance_dir = (test_config or {}).get("INSTANCE_DIR") or os.environ.get("KB_INSTANCE_DIR") or DEFAULTS["INSTANCE_DIR"]
    app = App(
        __name__,
        instance_path=os.path.abspath(instance_dir),
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder="static",
    )
    app.config.from_mapping(DEFAULTS)
    app.config.from_mapping(FLASK_DEFAULTS)
    app.config.from_pyfile("kb.cfg", silent=True)
    app.config.from_prefixed_env("KB")
    if test_config:
        app.config.update(test_config)
    _resolve_paths(app)
    app.config.setdefault("SECRET_KEY", None)
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path))

    _session_settings(app)
    return app


def _session_settings(app: Flask) -> None:
    """How long a staff sign-in lasts; the cookie's flags are set with the other security headers (kb.security)."""
    app.config["PERMANENT_SESSION_LIFETIME"] = dt.timedelta(hours=float(app.config["SESSION_HOURS"]))
    app.session_interface = CookieSessions()


class Response(FlaskResponse):
    """Flask's response, its headers sent as they are when nothing in them needs fixing.

    Before sending, Werkzeug copies a response's headers, checking every value for line breaks
    once more (ten headers for an API answer: an eighth of an answer from the cache), so that it
    can make Location absolute, drop Content-Length where the status forbids one, or add one.
    A 200 that states its length and has no Location or Content-Location gets none of these,
    so the copy would be the same headers: they are sent without it.
    """

    def get_wsgi_headers(self, environ):
        if self.status_code == 200 and self._sent_unchanged():
            return self.headers
        return super().get_wsgi_headers(environ)

    def _sent_unchanged(self) -> bool:
        has_length = False
        for name, _ in self.headers:
            name = name.lower()
            if name == "content-length":
                has_length = True
            elif name == "location" or name == "content-location":
                return False
        return has_length


class App(Flask):
    """Flask, with each hook's and view's ready-to-call form kept: Flask asks `inspect` whether
    every before- and after-request function is a coroutine function on every request (six
    times for an API answer), a few percent of an answer from the cache."""

    response_class = Response

    #: Functions whose form is kept; past this the memory starts again (`after_this_request`
    #: callbacks are new functions on every request).
    SYNC_KEPT = 256

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._sync_forms: dict = {}

    def ensure_sync(self, func):
        found = self._sync_forms.get(func)
        if found is None:
            if len(self._sync_forms) >= self.SYNC_KEPT:
                self._sync_forms.clear()
            found = self._sync_forms[func] = super().ensure_sync(func)
        return found


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed cookie sessions. A request without the cookie (every widget and API call)
    gets its empty session without Flask first building the signing serializer, which it does
    anew for every request: a quarter of the time of an answer from the cache."""

    def open_session(self, app: Flask, request) -> SecureCookieSession | None:
        if app.secret_key and ("HTTP_COOKIE" not in request.environ or not request.cookies.get(self.get_cookie_name(app))):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session, response) -> None:
        # A session nobody read or changed, and empty, leaves the response as it is (as Flask's
        # does, after first reading seven cookie settings).
        if session or session.accessed or session.modified:
            super().save_session(app, session, response)


def _resolve_paths(app: Flask) -> None:
    if not app.config["TAXONOMY_FILE"]:
        app.config["TAXONOMY_FILE"] = os.path.join(app.config["ARTICLES_DIR"], "taxonomy.yaml")
    for name in PATH_SETTINGS:
        app.config[name] = os.path.abspath(app.config[name])
    app.config["INSTANCE_DIR"] = app.instance_path


def _instance_secret(instance: Path) -> str:
    """A random secret key kept in the instance folder, so sessions survive restarts and workers agree."""
    path = instance / "secret_key"
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        instance.mkdir(parents=True, exist_ok=True)
        key = secrets.token_hex(32)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another worker wrote it first
            return path.read_text(encoding="utf-8").strip()
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(key)
        return key
