"""Response headers, form tokens and request limits that protect staff and patients.

Headers come from flask-talisman: a Content-Security-Policy that allows no inline script and no
framing, X-Content-Type-Options, Referrer-Policy, and the session cookie's flags. Every request
that can change state needs Flask-WTF's CSRF token. Request rates are limited by Flask-Limiter
per client address (public API) and per address and account (staff sign-in); its store is in
memory unless RATELIMIT_STORAGE_URI names a shared one such as Redis.
"""
from __future__ import annotations

import time

import flask
from flask import Blueprint, Flask, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect
from flask_talisman import Talisman
from werkzeug.middleware.proxy_fix import ProxyFix

#: Everything our own pages load comes from this host; the widget runs on other sites under their policy.
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


class SecurityHeaders(Talisman):
    """flask-talisman, with each endpoint's headers worked out once rather than on every response.

    Talisman rebuilds its options and policy strings for every response: about 55 us of the
    170 us a cached API answer costs here. They depend only on the endpoint (its view's
    options) and on whether the request came over HTTPS (HSTS), so they are kept per pair. A
    request with a CSP nonce (none of ours uses one) is left to Talisman whole.
    """

    def __init__(self, app: Flask, **options):
        self._options_by_endpoint: dict[str | None, dict] = {}
        self._headers_by_kind: dict[tuple[str | None, bool], list[tuple[str, str]]] = {}
        self._names_by_kind: dict[tuple[str | None, bool], frozenset[str]] = {}
        super().__init__(app, **options)

    def _get_local_options(self) -> dict:
        endpoint = flask.request.endpoint
        options = self._options_by_endpoint.get(endpoint)
        if options is None:
            options = self._options_by_endpoint[endpoint] = super()._get_local_options()
        return options

    def _force_https(self):
        # Talisman's check reads the request's scheme and headers on every request; it can only
        # act when HTTPS is forced (for this endpoint) or session cookies are to be made secure.
        # The nonce is made here too, from the same look at the endpoint's options: Talisman's
        # own hook for it runs right after this one, and only if this one let the request through.
        options = self._get_local_options()
        if self.session_cookie_secure or options["force_https"]:
            redirect = super()._force_https()
            if redirect is not None:
                return redirect
        if options["content_security_policy_nonce_in"]:
            super()._make_nonce()
        return None

    def _make_nonce(self):
        """Made by `_force_https`, the hook before this one."""

    def _set_response_headers(self, response):
        current = flask.request._get_current_object()  # once: every proxied read looks it up anew
        if getattr(current, "csp_nonce", None):
            return super()._set_response_headers(response)
        over_https = current.is_secure or current.environ.get("HTTP_X_FORWARDED_PROTO", "http") == "https"
        kind = (current.endpoint, over_https)
        headers = self._headers_by_kind.get(kind)
        if headers is None:
            blank = flask.Response()
            plain = set(blank.headers.keys())
            super()._set_response_headers(blank)
            headers = self._headers_by_kind[kind] = [(k, v) for k, v in blank.headers.items() if k not in plain]
            self._names_by_kind[kind] = frozenset(name.lower() for name, _ in headers)
        names = self._names_by_kind[kind]
        if any(name.lower() in names for name, _ in response.headers):
            for name, value in headers:  # a view set one of them itself: Talisman's replaces it
                response.headers[name] = value
        else:
            # Added, not set: setting each one scans every header before it, most of their cost.
            add = response.headers.add
            for name, value in headers:
                add(name, value)
        return response


def protect_forms(app: Flask) -> CSRFProtect:
    """Flask-WTF's CSRF check on every request that can change state (WTF_CSRF_METHODS: POST, PUT,
    PATCH, DELETE), whatever its blueprint. Flask-WTF's own hook runs on every request and looks
    up the view's exemptions before the method; here a GET (every search and widget call) is
    let through on its method alone."""
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    csrf = CSRFProtect(app)

    @app.before_request
    def check_csrf_token() -> None:
        if request.method in app.config["WTF_CSRF_METHODS"] and app.config["WTF_CSRF_ENABLED"] and request.endpoint:
            csrf.protect(apply_exemptions=True)

    return csrf


def protect(app: Flask, *, api: Blueprint, sign_in: Blueprint) -> None:
    """Trust the configured proxies' client address, add the security headers, limit request rates."""
    proxies = int(app.config["PROXY_COUNT"])
    if proxies:
        # Behind a load balancer the client address is in X-Forwarded-For; trust only our own hops.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    SecurityHeaders(
        app,
        force_https=False,  # TLS ends at the proxy; HSTS is still sent on requests that arrived over HTTPS
        frame_options="DENY",
        content_security_policy=CONTENT_SECURITY_POLICY,
        referrer_policy="strict-origin-when-cross-origin",
        session_cookie_secure=bool(app.config["SESSION_COOKIE_SECURE"]),
        session_cookie_http_only=True,
        session_cookie_samesite=app.config["SESSION_COOKIE_SAMESITE"],
        # The browser features our pages never use; denying them limits what injected content could do.
        permissions_policy={"camera": "()", "microphone": "()", "geolocation": "()"},
    )
    _limit_rates(app, api, sign_in)


def _limit_rates(app: Flask, api: Blueprint, sign_in: Blueprint) -> None:
    """One limiter per app (its own store); refused requests are 429s carrying Retry-After (retry_after)."""
    # No X-RateLimit-* headers on answers: they are one client's counts, and a CDN would cache them.
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", False)
    limiter = Limiter(get_remote_address, app=app)
    # One count per client over the whole API, whichever endpoints a widget calls.
    limiter.shared_limit(app.config["API_RATE_LIMIT"], scope="public-api")(api)
    limiter.limit(app.config["SIGN_IN_LIMIT_PER_ADDRESS"], methods=["POST"], deduct_when=failed_sign_in)(sign_in)
    limiter.limit(
        app.config["SIGN_IN_LIMIT_PER_ACCOUNT"], key_func=signing_in_account, methods=["POST"], deduct_when=failed_sign_in
    )(sign_in)
    app.extensions["kb.limiter"] = limiter


def signing_in_account() -> str:
    """The rate-limit key of a sign-in attempt: the account name as typed, folded (known or not alike)."""
    return "account:" + request.form.get("name", "").strip().casefold()[:64]


def failed_sign_in(response) -> bool:
    """Only refused attempts count against the limits: staff who sign in at once are never slowed."""
    return response.status_code == 401


def retry_after(app: Flask) -> int:
    """Seconds until the limit this request broke lets the client in again (at least 1)."""
    limiter: Limiter = app.extensions["kb.limiter"]
    current = limiter.current_limit
    return max(1, int(current.reset_at - time.time())) if current else 1
