"""The Flask app class and its sessions: what they keep between requests, and what they leave out."""
from __future__ import annotations

import flask.app
from flask import after_this_request

from helpers import PASSWORD, sign_in
from kb import App


def test_a_function_is_made_ready_to_call_once(app, monkeypatch):
    asked = []
    real = flask.app.iscoroutinefunction
    monkeypatch.setattr(flask.app, "iscoroutinefunction", lambda func: asked.append(func) or real(func))

    def view():
        return "ok"

    assert app.ensure_sync(view) is view and app.ensure_sync(view) is view
    assert asked == [view]


def test_callbacks_made_per_request_still_run_and_are_not_all_kept(app):
    @app.get("/test-callback")
    def with_callback():
        @after_this_request
        def mark(response):
            response.headers["X-Test-Callback"] = "ran"
            return response

        return "ok"

    client = app.test_client()
    for _ in range(App.SYNC_KEPT * 2):
        assert client.get("/test-callback").headers["X-Test-Callback"] == "ran"
    assert len(app._sync_forms) <= App.SYNC_KEPT


def test_an_api_answer_neither_sets_nor_varies_on_the_session_cookie(client):
    answer = client.get("/api/v1/search?q=cost")
    assert answer.status_code == 200
    assert "Set-Cookie" not in answer.headers
    assert "Cookie" not in answer.headers.get("Vary", "")


def test_a_signed_in_session_is_still_saved_and_cleared(app, client):
    from helpers import csrf_token

    app.extensions["kb.accounts"].add("nurse", PASSWORD)
    assert sign_in(client).headers["Set-Cookie"].startswith("kb_session=")
    answer = client.post("/logout", data={"csrf_token": csrf_token(client, "/logout")})
    cookie = answer.headers["Set-Cookie"]
    assert cookie.startswith("kb_session=;") and "Expires=Thu, 01 Jan 1970" in cookie
