"""The app's configuration, in one order: defaults -> instance kb.cfg -> KB_* environment -> test config."""
from __future__ import annotations

import datetime as dt
import os
import secrets
from pathlib import Path

from flask import Flask

from kb.settings import DEFAULTS

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PATH_SETTINGS = ("ARTICLES_DIR", "INDEX_DIR", "INSTANCE_DIR", "TAXONOMY_FILE", "RULES_FILE")
#: Flask and Flask-WTF settings whose defaults differ here; instance config or KB_* may still change them.
FLASK_DEFAULTS = {
    "SESSION_COOKIE_NAME": "kb_session",
    "SESSION_COOKIE_SAMESITE": "Lax",
    # The CSRF token lives as long as the session: a sign-in form left open over lunch still works.
    "WTF_CSRF_TIME_LIMIT": None,
    # The cookie is sent when the session changes (sign-in, sign-out) and never merely refreshed:
    # a refresh would put one person's session on answers a CDN keeps (the API, static files).
    # A sign-in then lasts SESSION_HOURS from when it was made.
    "SESSION_REFRESH_EACH_REQUEST": False,
}


def configured_app(test_config: dict | None = None) -> Flask:
    """A plain Flask app holding the configuration only: what the `kb` commands need, without
    the web app's blueprints. Nothing is written to disk here."""
    instance_dir = (test_config or {}).get("INSTANCE_DIR") or os.environ.get("KB_INSTANCE_DIR") or DEFAULTS["INSTANCE_DIR"]
    app = Flask(
        "kb",
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
    app.config["PERMANENT_SESSION_LIFETIME"] = dt.timedelta(hours=float(app.config["SESSION_HOURS"]))
    return app


def _resolve_paths(app: Flask) -> None:
    """Relative paths are relative to the folder the command runs in, made absolute once here."""
    if not app.config["TAXONOMY_FILE"]:
        app.config["TAXONOMY_FILE"] = os.path.join(app.config["ARTICLES_DIR"], "taxonomy.yaml")
    if not app.config["RULES_FILE"]:
        app.config["RULES_FILE"] = os.path.join(app.config["ARTICLES_DIR"], "rules.yaml")
    for name in PATH_SETTINGS:
        app.config[name] = os.path.abspath(app.config[name])
    app.config["INSTANCE_DIR"] = app.instance_path


def ensure_secret_key(app: Flask) -> None:
    """The configured SECRET_KEY, or a random one kept in the instance folder so that sessions
    survive restarts and every worker signs cookies alike."""
    if app.config.get("SECRET_KEY"):
        return
    instance = Path(app.instance_path)
    path = instance / "secret_key"
    try:
        app.config["SECRET_KEY"] = path.read_text(encoding="utf-8").strip()
        return
    except FileNotFoundError:
        pass
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another worker wrote it first
        app.config["SECRET_KEY"] = path.read_text(encoding="utf-8").strip()
        return
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key)
    app.config["SECRET_KEY"] = key
