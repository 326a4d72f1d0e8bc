"""The clinic knowledge-base search service: create_app() builds the Flask app."""
from __future__ import annotations

import hashlib

from flask import Flask

from kb.config import configured_app, ensure_secret_key


def create_app(test_config: dict | None = None) -> Flask:
    """The app: configuration, its search service, security, blueprints and error handlers."""
    app = configured_app(test_config)
    ensure_secret_key(app)

    from kb import api, assets, auth, cli, editor, handlers, security, seo, site, web, widget
    from kb.accounts import StaffAccounts
    from kb.article_files import ArticleFiles
    from kb.branding import branding_from_settings
    from kb.compression import compress_answers
    from kb.answers import AnswerCache
    from kb.insights import pages as insights_pages
    from kb.insights.recorder import Recorder
    from kb.ranking import Ranking
    from kb.service import SearchService
    from kb.sessions import EndedSessions

    search_key = hashlib.sha256(b"kb search_id " + str(app.config["SECRET_KEY"]).encode()).digest()
    compress_answers(app)  # first: its hook runs after every other one
    app.extensions["kb.search"] = SearchService(app.config["INDEX_DIR"], Ranking.from_settings(app.config), search_key)
    app.extensions["kb.answers"] = AnswerCache(
        int(app.config["ANSWER_CACHE_SIZE"]), max_bytes=int(float(app.config["ANSWER_CACHE_MB"]) * 2**20), sizeof=api.kept_answer_bytes
    )
    app.extensions["kb.accounts"] = StaffAccounts(app.instance_path)
    app.extensions["kb.article_files"] = ArticleFiles(app.config["ARTICLES_DIR"], app.instance_path)
    app.extensions["kb.branding"] = branding_from_settings(app.config)
    lifetime = int(app.permanent_session_lifetime.total_seconds())
    app.extensions["kb.ended_sessions"] = EndedSessions.from_settings(app.config["SESSION_STORE_URI"], app.instance_path, lifetime)
    app.extensions["kb.insights"] = Recorder.from_settings(app.config)
    app.register_blueprint(api.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(web.bp)
    app.register_blueprint(editor.bp)
    app.register_blueprint(widget.bp)
    app.register_blueprint(site.bp)
    app.register_blueprint(assets.bp)
    app.register_blueprint(seo.bp)
    app.register_blueprint(insights_pages.bp)
    handlers.register_error_handlers(app)
    security.protect(app, api=api.bp, sign_in=auth.bp, checked_after_access=editor.bp)
    api.enable_cors(app)
    cli.register(app)
    return app
