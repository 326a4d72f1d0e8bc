"""Blueprint `site`: the clinic's own colours and logo (kb/branding.py), served as files the
pages' Content-Security-Policy allows; the same for everyone, so caches may keep them."""
from __future__ import annotations

from flask import Blueprint, Response, send_file

from kb.errors import NotFound
from kb.extensions import branding

bp = Blueprint("site", __name__)
#: Seconds browsers and CDNs may keep them: a changed setting shows within five minutes.
MAX_AGE = 300


@bp.get("/site.css")
def stylesheet():
    """The clinic's colours, loaded after kb.css (the pages allow no inline style)."""
    response = Response(branding().stylesheet(), mimetype="text/css")
    response.cache_control.public = True
    response.cache_control.max_age = MAX_AGE
    return response


@bp.get("/site-logo")
def logo():
    site = branding()
    if site.logo is None:
        raise NotFound("no logo is configured (KB_SITE_LOGO)")
    response = send_file(site.logo, mimetype=site.logo_type, max_age=MAX_AGE)
    response.cache_control.public = True
    return response
