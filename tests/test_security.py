"""Headers, cookies, CSRF, sign-in limits without user enumeration, and the public API's rate limit."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import time

import flask
import pytest
import werkzeug.security

import kb.accounts
from conftest import FIXTURES, make_app
from helpers import PASSWORD, csrf_token, free_port, sign_in

STAFF_PAGES = ["/", "/?q=acne", "/articles/what-is-microneedling", "/login", "/widget", "/no-such-page"]


def directives(policy: str) -> dict[str, str]:
    return {part.split()[0]: " ".join(part.split()[1:]) for part in policy.split(";") if part.strip()}


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_pages_forbid_inline_script_framing_and_sniffing(client, path):
    answer = client.get(path)
    policy = directives(answer.headers["Content-Security-Policy"])
    assert policy["script-src"] == "'self'"  # no 'unsafe-inline', no 'unsafe-eval', no other host
    assert policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_api_answers_carry_the_headers_cached_or_not(client):
    """Each endpoint's headers are worked out once (SecurityHeaders); a cached answer still has them all."""
    for _ in range(2):
        answer = client.get("/api/v1/search?q=acne")
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.headers["X-Frame-Options"] == "DENY"
        assert directives(answer.headers["Content-Security-Policy"])["frame-ancestors"] == "'none'"
        assert answer.headers["Permissions-Policy"] == "camera=(), microphone=(), geolocation=()"


def test_hsts_only_on_requests_that_came_over_https(client):
    """Kept headers are kept per endpoint and per scheme: a plain request never gets the HTTPS ones."""
    for scheme, expected in [("https", True), ("http", False), ("https", True)]:
        answer = client.get("/api/v1/search?q=acne", base_url=f"{scheme}://localhost")
        assert ("Strict-Transport-Security" in answer.headers) is expected
    assert "Strict-Transport-Security" not in client.get("/").headers


def test_a_claimed_https_gets_hsts_only_from_a_trusted_proxy(built_index, tmp_path):
    """X-Forwarded-Proto is anybody's to write: it counts only with KB_PROXY_COUNT."""
    for proxies, expected in [(0, False), (1, True)]:
        app = make_app(FIXTURES, built_index, tmp_path / f"instance-{proxies}", PROXY_COUNT=proxies)
        try:
            client = app.test_client()
            for path in ("/", "/api/v1/search?q=acne", "/login"):
                answer = client.get(path, headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"})
                assert ("Strict-Transport-Security" in answer.headers) is expected, (proxies, path)
                assert "Strict-Transport-Security" not in client.get(path).headers
        finally:
            app.extensions["kb.search"].close()


def test_signed_in_pages_carry_the_same_policy(staff_client):
    answer = staff_client.get("/articles/staff-screening")
    assert answer.status_code == 200
    assert directives(answer.headers["Content-Security-Policy"])["script-src"] == "'self'"


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_pages_have_no_inline_script_or_event_handlers(client, path):
    """The policy would block them; this finds them before a browser does. JSON-LD is a data block,
    never run, which the policy allows."""
    page = client.get(path).get_data(as_text=True)
    assert not re.search(r'<script(?![^>]*\bsrc=)(?![^>]*type="application/ld\+json")[^>]*>', page)
    assert not re.search(r"\son[a-z]+\s*=", page)
    assert "javascript:" not in page


def test_the_session_cookie_is_httponly_samesite_and_secure_when_asked(built_index, tmp_path):
    app = make_app(FIXTURES, built_index, tmp_path / "instance", SESSION_COOKIE_SECURE=True)
    try:
        app.extensions["kb.accounts"].add("nurse", PASSWORD)
        client = app.test_client()
        cookies = set_cookies(sign_in(client))
        assert "HttpOnly" in cookies["kb_session"] and "SameSite=Lax" in cookies["kb_session"] and "Secure" in cookies["kb_session"]
        # The known-browser cookie goes to the sign-in page only.
        assert {"HttpOnly", "SameSite=Strict", "Secure", "Path=/login"} <= {part.strip() for part in cookies["kb_device"].split(";")}
    finally:
        app.extensions["kb.search"].close()


def set_cookies(answer) -> dict[str, str]:
    return {line.split("=", 1)[0]: line for line in answer.headers.get_all("Set-Cookie")}


def test_the_session_cookie_is_not_secure_by_default(app, client):
    app.extensions["kb.accounts"].add("nurse", PASSWORD)
    assert not any("Secure" in cookie for cookie in sign_in(client).headers.get_all("Set-Cookie"))


def test_every_form_that_posts_carries_a_csrf_token(staff_client):
    pages = {path: staff_client.get(path).get_data(as_text=True) for path in ["/", "/logout", "/widget", "/articles/staff-screening"]}
    pages["/login"] = staff_client.application.test_client().get("/login").get_data(as_text=True)
    posting = 0
    for path, page in pages.items():
        for form in re.findall(r"<form\b.*?</form>", page, flags=re.S):
            if re.search(r'method="post"', form, flags=re.I):
                posting += 1
                assert 'name="csrf_token"' in form, f"a form on {path} posts without a CSRF token"
    assert posting >= 3  # sign in, sign out, and the header's sign-out button


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_every_view_that_changes_state_needs_the_csrf_token(app, method):
    """Not only the sign-in blueprint's: a view added anywhere is checked without opting in."""
    app.add_url_rule("/test-change", "test_change", lambda: "changed", methods=[method])
    client = app.test_client()
    assert client.open("/test-change", method=method).status_code == 400
    token = csrf_token(client)
    assert client.open("/test-change", method=method, data={"csrf_token": token}).status_code == 200


def test_reads_are_never_asked_for_a_csrf_token(app):
    app.add_url_rule("/test-read", "test_read", lambda: "read", methods=["GET", "POST"])
    assert app.test_client().get("/test-read").status_code == 200


# -- sign-in limits ------------------------------------------------------------------------------


@pytest.fixture
def limited_app(built_index, tmp_path):
    app = make_app(
        FIXTURES, built_index, tmp_path / "instance",
        SIGN_IN_LIMIT_PER_ACCOUNT="3 per hour", SIGN_IN_LIMIT_PER_ADDRESS="5 per hour", API_RATE_LIMIT="4 per minute",
    )
    app.extensions["kb.accounts"].add("nurse", PASSWORD)
    yield app
    app.extensions["kb.search"].close()


def client_at(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_refused_sign_ins_to_one_account_are_limited_from_any_address(limited_app):
    for attempt in range(3):
        assert sign_in(client_at(limited_app, f"10.0.0.{attempt}"), password="guess number one").status_code == 401
    answer = sign_in(client_at(limited_app, "10.0.0.9"))  # even the right password waits now
    assert answer.status_code == 429
    assert int(answer.headers["Retry-After"]) > 0
    assert "Too many" in answer.get_data(as_text=True) or "too many" in answer.get_data(as_text=True)
    # Another account is not locked by attacks on this one.
    limited_app.extensions["kb.accounts"].add("doctor", PASSWORD)
    assert sign_in(client_at(limited_app, "10.0.0.9"), name="doctor").status_code == 302


def test_refused_sign_ins_from_one_address_are_limited_across_names(limited_app):
    client = client_at(limited_app, "10.0.1.1")
    for name in ("a1", "b2", "c3", "d4", "e5"):
        assert sign_in(client, name=name, password="guess number one").status_code == 401
    assert sign_in(client, name="nurse").status_code == 429
    assert sign_in(client_at(limited_app, "10.0.1.2"), name="nurse").status_code == 302


def test_successful_sign_ins_are_never_counted(limited_app):
    client = client_at(limited_app, "10.0.2.1")
    for _ in range(8):
        assert sign_in(client).status_code == 302
        client.post("/logout", data={"csrf_token": csrf_token(client, "/logout")})


def test_unknown_names_and_wrong_passwords_get_the_same_answer_and_the_same_work(app, monkeypatch, figures):
    app.extensions["kb.accounts"].add("nurse", PASSWORD)
    checks: list[str] = []
    real_check = werkzeug.security.check_password_hash
    monkeypatch.setattr(kb.accounts, "check_password_hash", lambda hashed, password: checks.append(hashed) or real_check(hashed, password))
    answers = {}
    for name, password in (("nurse", "wrong password"), ("nobody", "wrong password")):
        client = app.test_client()
        answer = sign_in(client, name, password)
        page = re.sub(r'name="csrf_token" value="[^"]+"', "", answer.get_data(as_text=True))
        answers[name] = (answer.status_code, page.replace(f'value="{name}"', 'value=""'), sorted(answer.headers.keys()))
    assert answers["nurse"] == answers["nobody"]
    assert len(checks) == 2  # one check each: a known name with a wrong password, and the dummy hash
    # The same cost by the same means, not by a clock: one hash method with the same parameters
    # (scrypt's work factor, block size, parallelism), salt and digest lengths, as every account gets.
    account_hash, dummy_hash = checks
    assert hash_shape(dummy_hash) == hash_shape(account_hash) == hash_shape(werkzeug.security.generate_password_hash("x" * 12))
    assert hash_shape(dummy_hash)[0].startswith("scrypt:")
    figures["sign-in: hash checked for an unknown name / a wrong password"] = f"{hash_shape(dummy_hash)[0]} / {hash_shape(account_hash)[0]}"


def hash_shape(hashed: str) -> tuple[str, int, int]:
    """What a Werkzeug hash costs to check: its method and parameters, and its salt and digest lengths."""
    method, salt, digest = hashed.split("$")
    return method, len(salt), len(digest)


# -- public API limit ----------------------------------------------------------------------------


def test_the_public_api_answers_429_json_with_retry_after_per_client(limited_app):
    client = client_at(limited_app, "10.0.3.1")
    for _ in range(4):
        assert client.get("/api/v1/search?q=acne").status_code == 200
    answer = client.get("/api/v1/suggest?q=ac")
    assert answer.status_code == 429
    assert answer.json["error"]["code"] == "rate_limited"
    assert "4 per 1 minute" in answer.json["error"]["message"]
    assert 0 < int(answer.headers["Retry-After"]) <= 60
    assert client_at(limited_app, "10.0.3.2").get("/api/v1/search?q=acne").status_code == 200  # other clients go on


def test_the_client_address_comes_from_the_trusted_proxy_only(built_index, tmp_path):
    app = make_app(FIXTURES, built_index, tmp_path / "instance", API_RATE_LIMIT="2 per minute", PROXY_COUNT=1)
    try:
        client = app.test_client()

        def from_patient(address):
            return client.get("/api/v1/search?q=acne", headers={"X-Forwarded-For": address}).status_code

        assert [from_patient("203.0.113.1") for _ in range(3)] == [200, 200, 429]
        assert from_patient("203.0.113.2") == 200  # behind one load balancer, patients are told apart
    finally:
        app.extensions["kb.search"].close()


def test_without_a_proxy_setting_forwarded_addresses_are_ignored(limited_app):
    client = client_at(limited_app, "10.0.4.1")
    codes = [client.get("/api/v1/search?q=acne", headers={"X-Forwarded-For": f"198.51.100.{n}"}).status_code for n in range(5)]
    assert codes == [200, 200, 200, 200, 429]  # a client can't spoof its way round the limit


# -- several nodes share one count -----------------------------------------------------------------

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


@pytest.fixture
def redis_url(tmp_path):
    if not os.path.exists(REDIS_SERVER):
        pytest.fail("the shared rate-limit store is tested with Debian's redis-server (.ci/run installs it)")
    import redis

    port = free_port()
    server = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port)
    deadline = time.monotonic() + 30
    while True:  # poll until it answers: it listens a moment after it starts
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline or server.poll() is not None:
                raise
            time.sleep(0.01)
    yield f"redis://127.0.0.1:{port}"
    client.close()
    server.terminate()
    server.wait(timeout=30)


def two_nodes(built_index, tmp_path, storage: str):
    return [
        make_app(FIXTURES, built_index, tmp_path / f"node{n}", API_RATE_LIMIT="3 per minute", RATELIMIT_STORAGE_URI=storage)
        for n in (1, 2)
    ]


@pytest.mark.parametrize("storage", ["memory", "redis"])
def test_nodes_share_the_limit_only_through_a_shared_store(built_index, tmp_path, request, storage):
    uri = request.getfixturevalue("redis_url") if storage == "redis" else "memory://"
    nodes = two_nodes(built_index, tmp_path, uri)
    try:
        clients = [client_at(node, "10.0.5.1") for node in nodes]
        codes = [clients[n % 2].get("/api/v1/search?q=acne").status_code for n in range(6)]
    finally:
        for node in nodes:
            node.extensions["kb.search"].close()
    if storage == "redis":
        assert codes == [200, 200, 200, 429, 429, 429]  # one client, one count, whichever node answers
    else:
        assert codes == [200] * 6  # each node counted 3 of its own: why several nodes need Redis


def test_answers_within_the_limit_carry_no_per_client_headers(limited_app):
    """A CDN caches public answers: one client's counts or a Retry-After must not be in them."""
    answer = client_at(limited_app, "10.0.6.1").get("/api/v1/search?q=acne")
    assert answer.status_code == 200
    assert "Retry-After" not in answer.headers and not any(name.startswith("X-RateLimit") for name in answer.headers.keys())


def _view_with_options(app, rule, **options):
    """A view carrying per-view Talisman options, as Talisman's own decorator leaves them."""

    def view():
        return flask.jsonify(nonce=getattr(flask.request, "csp_nonce", None))

    view.talisman_view_options = options
    app.add_url_rule(rule, rule.strip("/"), view)


def test_a_view_that_forces_https_is_redirected_before_anything_else(app, client):
    _view_with_options(app, "/test-https-only", force_https=True, content_security_policy_nonce_in=["script-src"])
    answer = client.get("/test-https-only")
    assert answer.status_code == 302 and answer.headers["Location"].startswith("https://")
    assert client.get("/test-https-only", base_url="https://localhost").status_code == 200


def test_a_view_that_asks_for_a_nonce_gets_one_in_its_policy(app, client):
    _view_with_options(app, "/test-nonce", content_security_policy_nonce_in=["script-src"])
    answer = client.get("/test-nonce")
    nonce = answer.get_json()["nonce"]
    assert nonce and f"'nonce-{nonce}'" in directives(answer.headers["Content-Security-Policy"])["script-src"]
    assert client.get("/api/v1/search?q=acne").status_code == 200 and "nonce-" not in client.get("/api/v1/search?q=acne").headers["Content-Security-Policy"]
