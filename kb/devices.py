"""Browsers that have signed in to an account before, so that an attack on the account cannot lock its owner out.

A successful sign-in leaves a long-lived cookie, signed with the service's secret and sent only
to /login, naming the account. The per-account ceiling on refused sign-ins (kb/security.py)
does not apply to a browser holding one for the account it signs in to: an attacker spread over
many addresses slows sign-ins to the account from new browsers, never from its owner's own
(OWASP's "device cookies"). The per-address limits still apply to it.
"""
from __future__ import annotations

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

DEVICE_COOKIE = "kb_device"
#: How long a browser stays known without signing in again.
DEVICE_DAYS = 180


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="kb known device")


def remember_device(response, name: str) -> None:
    """Mark this browser as one that signed in to `name`."""
    response.set_cookie(
        DEVICE_COOKIE, _serializer().dumps(name), max_age=DEVICE_DAYS * 86400, path="/login",
        secure=bool(current_app.config["SESSION_COOKIE_SECURE"]), httponly=True, samesite="Strict",
    )


def known_device(name: str) -> bool:
    """Whether this browser has signed in to `name` within DEVICE_DAYS."""
    token = request.cookies.get(DEVICE_COOKIE)
    if not token or not name:
        return False
    try:
        return _serializer().loads(token, max_age=DEVICE_DAYS * 86400) == name
    except BadSignature:
        return False
