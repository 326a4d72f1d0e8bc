"""The Flask app class and its sessions: what they keep between requests, and what they leave out."""
from __future__ import annotations

import flask.app
import pytest
from flask import Response as FlaskResponse
from flask import after_this_request

from helpers import PASSWORD, sign_in
from kb import App, Response


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


def _environ(app, method="GET"):
    return app.test_request_context("/somewhere", method=method, base_url="http://clinic.example").request.environ


@pytest.mark.parametrize(
    "make",
    [
        lambda: Response(b'{"ok": true}', mimetype="application/json"),
        lambda: Response("caf\u00e9 \u2013 ok", headers={"ETag": '"abc"'}),
        lambda: Response(b"moved", status=302, headers={"Location": "/articles/caf\u00e9"}),
        lambda: Response(b"here", headers={"Location": "/articles/acne-scar-types"}),
        lambda: Response(b"here", headers={"Content-Location": "/articles/caf\u00e9"}),
        lambda: Response(b"", status=204),
        lambda: Response(b"unchanged", status=304, headers={"ETag": '"abc"', "Content-Type": "text/plain"}),
        lambda: Response(iter([b"streamed", b" parts"])),
        lambda: Response([b"listed", b" parts"]),
        lambda: Response(b"not found", status=404),
    ],
    ids=["json", "etag", "redirect", "location", "content-location", "204", "304", "stream", "list", "404"],
)
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_headers_are_sent_as_werkzeug_would_send_them(app, make, method):
    environ = _environ(app, method)
    assert make().get_wsgi_headers(environ).to_wsgi_list() == FlaskResponse.get_wsgi_headers(make(), environ).to_wsgi_list()


def test_a_plain_answer_sends_its_own_headers_without_a_copy(app):
    answer = Response(b'{"ok": true}', mimetype="application/json")
    assert answer.get_wsgi_headers(_environ(app)) is answer.headers
    redirect = Response(b"moved", status=302, headers={"Location": "/"})
    assert redirect.get_wsgi_headers(_environ(app)) is not redirect.headers


def test_an_api_answer_through_the_app_states_its_length_once(client):
    answer = client.get("/api/v1/search?q=cost")
    names = [name.lower() for name, _ in answer.headers]
    assert answer.status_code == 200 and names.count("content-length") == 1
    assert int(answer.headers["Content-Length"]) == len(answer.data)
