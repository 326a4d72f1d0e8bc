"""Staff sessions: signing out ends the session everywhere, attacks cannot lock the owner out,
and nothing rendered for a signed-in person is stored by any cache or carries their cookie
where a cache could keep it."""
from __future__ import annotations

import shutil

import pytest

from conftest import FIXTURES, make_app
from helpers import PASSWORD, csrf_token, free_port, sign_in
from test_security import client_at, redis_url  # noqa: F401 (fixture)

WRONG = "not the password"


@pytest.fixture
def nodes(built_index, tmp_path):
    """Two app instances (two workers, or two nodes) sharing one instance folder."""
    apps = [make_app(FIXTURES, built_index, tmp_path / "instance") for _ in range(2)]
    apps[0].extensions["kb.accounts"].add("nurse", PASSWORD)
    yield apps
    for app in apps:
        app.extensions["kb.search"].close()


def signed_in(client) -> bool:
    """Whether the client is served as staff: the staff-only article is there."""
    return client.get("/articles/staff-screening").status_code == 200


def copy_of_cookie(source, target) -> None:
    """What someone who copied the session cookie (a shared computer, a proxy log) holds."""
    target.set_cookie("kb_session", source.get_cookie("kb_session").value)


def sign_out(client, **form) -> None:
    answer = client.post("/logout", data={"csrf_token": csrf_token(client, "/logout"), **form})
    assert answer.status_code == 302


def test_signing_out_ends_the_session_for_a_copied_cookie_on_every_node(nodes):
    browser, thief = nodes[0].test_client(), nodes[1].test_client()
    assert sign_in(browser).status_code == 302
    copy_of_cookie(browser, thief)
    assert signed_in(thief)  # before sign-out the copy works on the other node too
    sign_out(browser)
    assert not signed_in(browser) and not signed_in(thief)
    assert "Signed in as" not in thief.get("/").get_data(as_text=True)
    # Signing in again is a new session, which the old copy does not share.
    assert sign_in(browser).status_code == 302
    assert signed_in(browser) and not signed_in(thief)


def test_signing_out_everywhere_ends_every_session_of_the_account_only(nodes):
    office, phone, colleague = (nodes[n % 2].test_client() for n in range(3))
    nodes[0].extensions["kb.accounts"].add("doctor", PASSWORD)
    for client in (office, phone):
        assert sign_in(client).status_code == 302
    assert sign_in(colleague, name="doctor").status_code == 302
    assert "Sign out everywhere" in office.get("/logout").get_data(as_text=True)
    sign_out(office, everywhere="1")
    assert not signed_in(office) and not signed_in(phone)
    assert signed_in(colleague)
    assert sign_in(phone).status_code == 302 and signed_in(phone)  # the password still works


def test_signed_out_sessions_are_shared_through_redis_by_nodes_with_their_own_folders(built_index, tmp_path, redis_url):
    apps = [make_app(FIXTURES, built_index, tmp_path / f"node{n}", SESSION_STORE_URI=redis_url, SECRET_KEY="one secret for all nodes") for n in (1, 2)]
    try:
        apps[0].extensions["kb.accounts"].add("nurse", PASSWORD)
        (tmp_path / "node2").mkdir(exist_ok=True)
        shutil.copy(tmp_path / "node1" / "staff.json", tmp_path / "node2" / "staff.json")
        browser, thief = apps[0].test_client(), apps[1].test_client()
        assert sign_in(browser).status_code == 302
        copy_of_cookie(browser, thief)
        assert signed_in(thief)
        sign_out(browser)
        assert not signed_in(thief)
        assert not (tmp_path / "node1" / "ended-sessions").exists()  # recorded in Redis, not in a folder
    finally:
        for app in apps:
            app.extensions["kb.search"].close()


def test_when_the_ended_sessions_cannot_be_read_no_session_is_trusted(built_index, tmp_path):
    """Redis down: staff are signed out (fail closed), and pages still answer."""
    app = make_app(FIXTURES, built_index, tmp_path / "instance", SESSION_STORE_URI=f"redis://127.0.0.1:{free_port()}")
    try:
        app.extensions["kb.accounts"].add("nurse", PASSWORD)
        client = app.test_client()
        assert sign_in(client).status_code == 302
        assert not signed_in(client)
        assert client.get("/").status_code == 200
        assert client.post("/logout", data={"csrf_token": csrf_token(client, "/login")}).status_code == 302
    finally:
        app.extensions["kb.search"].close()


# -- locking out -----------------------------------------------------------------------------------


@pytest.fixture
def sign_in_app(built_index, tmp_path):
    """The default sign-in limits, with a per-account ceiling low enough to reach in a test."""
    app = make_app(FIXTURES, built_index, tmp_path / "instance", SIGN_IN_LIMIT_PER_ACCOUNT="8 per minute")
    app.extensions["kb.accounts"].add("nurse", PASSWORD)
    yield app
    app.extensions["kb.search"].close()


def test_guesses_from_one_address_lock_out_that_address_not_the_owner(sign_in_app):
    attacker = client_at(sign_in_app, "198.51.100.7")
    for _ in range(5):
        assert sign_in(attacker, password=WRONG).status_code == 401
    assert sign_in(attacker).status_code == 429  # even the right password, from there
    for _ in range(3):  # and again and again: the lock is the attacker's own
        assert sign_in(attacker, password=WRONG).status_code == 429
    assert sign_in(client_at(sign_in_app, "192.0.2.20")).status_code == 302


def test_an_attack_from_many_addresses_slows_new_browsers_but_not_the_owners(sign_in_app):
    owner = client_at(sign_in_app, "192.0.2.20")
    assert sign_in(owner).status_code == 302  # the owner's browser has signed in before
    sign_out(owner)
    for address in range(8):
        assert sign_in(client_at(sign_in_app, f"198.51.100.{address}"), password=WRONG).status_code == 401
    slowed = sign_in(client_at(sign_in_app, "203.0.113.5"))  # a browser that never signed in
    assert slowed.status_code == 429 and 0 < int(slowed.headers["Retry-After"]) <= 60
    assert sign_in(owner).status_code == 302
    sign_out(owner)
    # A known-browser cookie is for its own account only, and cannot be forged.
    sign_in_app.extensions["kb.accounts"].add("doctor", PASSWORD)
    for address in range(8):
        assert sign_in(client_at(sign_in_app, f"198.51.101.{address}"), name="doctor", password=WRONG).status_code == 401
    assert sign_in(owner, name="doctor").status_code == 429
    forger = client_at(sign_in_app, "203.0.113.6")
    forger.set_cookie("kb_device", owner.get_cookie("kb_device", path="/login").value.replace("nurse", "doctor"), path="/login")
    assert sign_in(forger, name="doctor").status_code == 429


# -- nothing personal is stored ---------------------------------------------------------------------

PERSONAL_PAGES = ["/", "/?q=acne", "/articles/staff-screening", "/articles/what-is-microneedling", "/widget", "/no-such-page", "/insights", "/logout"]


@pytest.mark.parametrize("path", PERSONAL_PAGES)
def test_what_is_rendered_for_signed_in_staff_is_private_and_never_stored(staff_client, path):
    answer = staff_client.get(path)
    assert answer.status_code in (200, 404)
    directives = {part.strip() for part in answer.headers["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= directives and "public" not in directives, directives


@pytest.mark.parametrize("path", ["/api/v1/search?q=acne", "/api/v1/facets", "/api/v1/search?per_page=0", "/widget.js", "/static/kb.css", "/nothing-here"])
def test_a_signed_in_browser_is_never_sent_its_cookie_where_a_cache_may_keep_it(staff_client, path):
    staff_client.get(path).close()  # a first request, as a page's own loads make
    answer = staff_client.get(path)
    answer.close()  # static files are streamed
    assert "Set-Cookie" not in answer.headers, answer.headers
    assert "Cookie" not in answer.headers.get("Vary", "") or "private" in answer.headers.get("Cache-Control", "")


def test_visitors_pages_stay_revalidated_not_unstored(client):
    """Nothing personal in a visitor's page: the browser may keep it and ask again."""
    directives = {part.strip() for part in client.get("/").headers["Cache-Control"].split(",")}
    assert {"private", "no-cache"} <= directives and "no-store" not in directives
