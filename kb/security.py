"""Response headers, form tokens and request limits that protect staff and patients.

Headers come from flask-talisman: a Content-Security-Policy that allows no inline script and no
framing, X-Content-Type-Options, Referrer-Policy, and the session cookie's flags. Every request
that can change state needs Flask-WTF's CSRF token. Request rates are limited by Flask-Limiter
per client address (public API) and, for refused staff sign-ins, per address, per account and
address, and per account (a higher ceiling that slows an attack spread over many addresses,
and that a browser which signed in to the account before passes: kb/devices.py); its store
is in memory unless RATELIMIT_STORAGE_URI names a shared one such as Redis.
"""
from __future__ import annotations

import time

from flask import Blueprint, Flask, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect
from flask_talisman import Talisman
from werkzeug.middleware.proxy_fix import ProxyFix

from kb.devices import known_device

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


def protect(app: Flask, *, api: Blueprint, sign_in: Blueprint, checked_after_access: Blueprint) -> None:
    """Trust the configured proxies' client address, check CSRF tokens, add the security headers, limit request rates."""
    proxies = int(app.config["PROXY_COUNT"])
    # flask-talisman sends HSTS when X-Forwarded-Proto says https, whoever wrote it: the header
    # is dropped here, and the scheme is the request's own or, from trusted proxies, ProxyFix's.
    app.wsgi_app = without_forwarded_proto(app.wsgi_app)
    if proxies:
        # Behind a load balancer the client address is in X-Forwarded-For; trust only our own hops.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    # The public API changes nothing a signed-in person owns: its events carry no token, and
    # a beacon from a clinic's page could not send one.
    csrf = CSRFProtect(app)
    csrf.exempt(api)
    # Pages that exist for some people only check the token after access (csrf_check): for anyone
    # else they answer as unknown pages do, whatever the request carries.
    csrf.exempt(checked_after_access)
    Talisman(
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


def csrf_check() -> None:
    """Check the request's CSRF token now (for a blueprint that `protect` left to check it itself)."""
    current_app.extensions["csrf"].protect()


def without_forwarded_proto(wsgi_app):
    """The WSGI app, seeing no X-Forwarded-Proto header (ProxyFix, outside it, has read it when trusted)."""

    def app(environ, start_response):
        environ.pop("HTTP_X_FORWARDED_PROTO", None)
        return wsgi_app(environ, start_response)

    return app


def _limit_rates(app: Flask, api: Blueprint, sign_in: Blueprint) -> None:
    """One limiter per app (its own store); refused requests are 429s carrying Retry-After (retry_after)."""
    # No X-RateLimit-* headers on answers: they are one client's counts, and a CDN would cache them.
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", False)
    limiter = Limiter(get_remote_address, app=app)
    # One count per client over the whole API, whichever endpoints a widget calls.
    limiter.shared_limit(app.config["API_RATE_LIMIT"], scope="public-api")(api)
    limiter.limit(app.config["SIGN_IN_LIMIT_PER_ADDRESS"], methods=["POST"], deduct_when=failed_sign_in)(sign_in)
    # Guesses from one address lock that address out of the account, never its owner elsewhere.
    limiter.limit(
        app.config["SIGN_IN_LIMIT_PER_ACCOUNT_AND_ADDRESS"], key_func=lambda: f"{signing_in_account()}|{get_remote_address()}",
        methods=["POST"], deduct_when=failed_sign_in,
    )(sign_in)
    limiter.limit(
        app.config["SIGN_IN_LIMIT_PER_ACCOUNT"], key_func=signing_in_account, methods=["POST"], deduct_when=failed_sign_in,
        exempt_when=lambda: known_device(signing_in_name()),
    )(sign_in)
    app.extensions["kb.limiter"] = limiter


def signing_in_name() -> str:
    """The account name a sign-in attempt is for, as typed, folded (known or not alike)."""
    return request.form.get("name", "").strip().casefold()[:64]


def signing_in_account() -> str:
    """The rate-limit key of a sign-in attempt's account."""
    return "account:" + signing_in_name()


def failed_sign_in(response) -> bool:
    """Only refused attempts count against the limits: staff who sign in at once are never slowed."""
    return response.status_code == 401


def retry_after(app: Flask) -> int:
    """Seconds until the limit this request broke lets the client in again (at least 1)."""
    limiter: Limiter = app.extensions["kb.limiter"]
    current = limiter.current_limit
    return max(1, int(current.reset_at - time.time())) if current else 1
