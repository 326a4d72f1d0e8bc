"""Answers travel compressed when the client accepts it, revalidate by their ETags, and the pages
that carry a CSRF token beside reflected input never are (BREACH)."""
from __future__ import annotations

import gzip
import hashlib
import re

import brotli
import pytest

from helpers import csrf_token

BROWSER = "gzip, deflate, br, zstd"


def test_an_api_answer_is_compressed_and_revalidates(client):
    plain = client.get("/api/v1/search?q=scars&per_page=20")
    answer = client.get("/api/v1/search?q=scars&per_page=20", headers={"Accept-Encoding": "gzip"})
    assert answer.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in answer.headers["Vary"]
    assert gzip.decompress(answer.data) == plain.data and len(answer.data) < len(plain.data) / 2
    etag = answer.headers["ETag"]
    assert etag.endswith(':gzip"') and etag != plain.headers["ETag"]
    again = client.get("/api/v1/search?q=scars&per_page=20", headers={"Accept-Encoding": "gzip", "If-None-Match": etag})
    assert again.status_code == 304 and not again.data


def test_the_widget_script_travels_compressed_and_keeps_its_revalidation(client):
    with client.get("/widget.js") as plain, client.get("/widget.js", headers={"Accept-Encoding": "br"}) as packed:
        assert packed.headers["Content-Encoding"] == "br"
        assert brotli.decompress(packed.data) == plain.data and len(packed.data) < len(plain.data) / 2
        assert "max-age=300" in packed.headers["Cache-Control"]
        etag = packed.headers["ETag"]
    with client.get("/widget.js", headers={"Accept-Encoding": "br", "If-None-Match": etag}) as again:
        assert again.status_code == 304


@pytest.mark.parametrize("path", ["/", "/?q=ice+pick", "/articles/ice-pick-scars", "kb.css", "search.js"])
def test_visitors_pages_and_files_are_compressed(client, path):
    if not path.startswith("/"):
        page = client.get("/").get_data(as_text=True)
        path = re.search(rf'"(/assets/[0-9a-f]+/{re.escape(path)})"', page).group(1)
    with client.get(path, headers={"Accept-Encoding": BROWSER}) as answer:
        assert answer.status_code == 200 and answer.headers.get("Content-Encoding") == "br"


@pytest.mark.parametrize("path", ["/?q=ice+pick", "/articles/staff-screening", "/widget", "/logout"])
def test_pages_for_signed_in_staff_are_never_compressed(staff_client, path):
    answer = staff_client.get(path, headers={"Accept-Encoding": BROWSER})
    assert answer.status_code == 200
    assert 'name="csrf_token"' in answer.get_data(as_text=True)  # the secret BREACH would read
    assert "Content-Encoding" not in answer.headers


def test_the_sign_in_page_is_never_compressed(client):
    answer = client.get("/login?next=/", headers={"Accept-Encoding": BROWSER})
    assert csrf_token(client) and "Content-Encoding" not in answer.headers


def test_the_pages_files_have_content_hashed_urls_kept_for_a_year(client, app):
    from pathlib import Path

    page = client.get("/").get_data(as_text=True)
    urls = re.findall(r'"(/assets/([0-9a-f]+)/([a-z.]+))"', page)
    assert {name for _, _, name in urls} == {"kb.css", "favicon.svg", "search.js"}
    for url, digest, name in urls:
        body = (Path(app.static_folder) / name).read_bytes()
        assert digest == hashlib.sha256(body).hexdigest()[:16]  # a change is a new URL
        answer = client.get(url)
        assert answer.data == body and answer.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    old = client.get("/assets/0000000000000000/kb.css")  # a page from before a change
    assert old.status_code == 200 and "immutable" not in old.headers["Cache-Control"]
    assert client.get("/assets/x/../../setup.cfg").status_code == 404
    assert client.get("/assets/x/nothing.js").status_code == 404
