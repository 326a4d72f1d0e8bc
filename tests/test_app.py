"""The app is plain Flask: what its sessions keep between requests, and what they leave out."""
from __future__ import annotations

from flask import Flask

from helpers import PASSWORD, csrf_token, sign_in


def test_the_app_is_a_plain_flask_app(app):
    assert type(app) is Flask
    assert type(app.session_interface).__module__ == "flask.sessions"
    assert app.response_class.__module__ == "flask.wrappers"


def test_an_api_answer_neither_sets_nor_varies_on_the_session_cookie(client):
    answer = client.get("/api/v1/search?q=cost")
    assert answer.status_code == 200
    assert "Set-Cookie" not in answer.headers
    assert "Cookie" not in answer.headers.get("Vary", "")


def test_a_signed_in_session_is_saved_and_cleared(app, client):
    app.extensions["kb.accounts"].add("nurse", PASSWORD)
    assert any(cookie.startswith("kb_session=") for cookie in sign_in(client).headers.get_all("Set-Cookie"))
    answer = client.post("/logout", data={"csrf_token": csrf_token(client, "/logout")})
    cookie = answer.headers["Set-Cookie"]
    assert cookie.startswith("kb_session=;") and "Expires=Thu, 01 Jan 1970" in cookie


def test_an_api_answer_through_the_app_states_its_length_once(client):
    answer = client.get("/api/v1/search?q=cost")
    names = [name.lower() for name, _ in answer.headers]
    assert answer.status_code == 200 and names.count("content-length") == 1
    assert int(answer.headers["Content-Length"]) == len(answer.data)
