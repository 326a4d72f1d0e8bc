"""One accessor for each of the app's shared objects (kept in `app.extensions` by create_app)."""
from __future__ import annotations

from flask import current_app

from kb.accounts import StaffAccounts
from kb.article_files import ArticleFiles
from kb.answers import AnswerCache
from kb.branding import Branding
from kb.history import history_for
from kb.insights.recorder import Recorder
from kb.parameters import Limits
from kb.service import SearchService
from kb.sessions import EndedSessions


def search_service() -> SearchService:
    return current_app.extensions["kb.search"]


def staff_accounts() -> StaffAccounts:
    return current_app.extensions["kb.accounts"]


def branding() -> Branding:
    return current_app.extensions["kb.branding"]


def ended_sessions() -> EndedSessions:
    return current_app.extensions["kb.ended_sessions"]


def answer_cache() -> AnswerCache:
    return current_app.extensions["kb.answers"]


def search_limits() -> Limits:
    return Limits.from_settings(current_app.config)


def insights_recorder() -> Recorder:
    return current_app.extensions["kb.insights"]


def phone_regions() -> list[str]:
    return [region.strip().upper() for region in str(current_app.config["ANALYTICS_PHONE_REGIONS"]).split(",") if region.strip()]


def article_files() -> ArticleFiles:
    return current_app.extensions["kb.article_files"]


def article_history():
    """Git history or a history folder (kb/history.py), found on first use: most apps never edit."""
    if "kb.article_history" not in current_app.extensions:
        current_app.extensions["kb.article_history"] = history_for(current_app.config["ARTICLES_DIR"], current_app.instance_path)
    return current_app.extensions["kb.article_history"]
