"""No page answers 500 for any query string: hostile, malformed and oversized inputs get a clear 4xx page."""
from __future__ import annotations

import itertools

import pytest

from conftest import FIXTURES, make_app
from helpers import PASSWORD, csrf_token, sign_in

PAGES = ["/", "/articles/what-is-microneedling", "/articles/staff-screening", "/articles/nope", "/login", "/logout"]

QUERY_STRINGS = [
    "",
    "q=",
    "q=%00",
    "q=%ff%fe%fd",  # not UTF-8
    "q=%ED%A0%80",  # an encoded lone surrogate
    "q=%E2%80%AE%E2%80%8B",  # right-to-left override, zero-width space
    "q=%F0%9F%99%82+needles",
    "q=" + "a" * 201,
    "q=" + "a" * 20000,
    "q=" + "x+" * 100,
    "q=<script>alert(1)</script>",
    "q=%22%3E%3Cimg+src%3Dx+onerror%3Dalert(1)%3E",
    "q=AND+OR+NOT",
    "q=*",
    "q=%3F",
    "q=title%3Afoo",
    'q="unclosed',
    "q=(((",
    "q=%5C",
    "q=%25",
    "q=a&q=b",
    "q[]=x",
    "page=-1",
    "page=0",
    "page=1e3",
    "page=%20",
    "page=99999999999999999999999",
    "page=2",
    "page=101",
    "per_page=abc",
    "per_page=1e309",
    "per_page=50&page=100",
    "sort=",
    "sort=random",
    "sort=relevance&sort=title",
    "procedure=",
    "procedure=%00",
    "procedure=MICRONEEDLING",
    "procedure=microneedling&procedure=microneedling",
    "scar_type=ice-pick&scar_type=boxcar&cost=under-200&side_effect=redness",
    "cost=%2E%2E%2F",
    "%=%",
    "&&&",
    "=",
    "q",
    "next=//evil.example",
    "next=https://evil.example",
    "name=nurse&password=x",
    "csrf_token=forged",
    "utm_source=newsletter",
]

PATH_VARIANTS = [
    "/articles/..%2F..%2Fetc%2Fpasswd",
    "/articles/%00",
    "/articles/" + "a" * 3000,
    "/articles/%F0%9F%99%82",
    "/articles/what-is-microneedling/",
    "/articles/",
    "/static/..%2F__init__.py",
    "/static/nope.js",
    "/%ff",
    "/login/",
]


@pytest.fixture(scope="module")
def site(built_index, tmp_path_factory):
    """One app for the whole module: these tests only read, and hundreds of them run."""
    app = make_app(FIXTURES, built_index, tmp_path_factory.mktemp("instance"))
    app.extensions["kb.accounts"].add("nurse", PASSWORD)
    yield app
    app.extensions["kb.search"].close()


@pytest.fixture
def client(site):
    return site.test_client()


def assert_no_failure(answer) -> None:
    body = answer.get_data(as_text=True)
    assert answer.status_code < 500, body[:500]
    assert "Traceback" not in body
    if answer.status_code >= 400:
        assert "text/html" in answer.headers["Content-Type"]


@pytest.mark.parametrize("path, query", list(itertools.product(PAGES, QUERY_STRINGS)))
def test_no_page_fails_for_any_query_string(client, path, query):
    assert_no_failure(client.get(f"{path}?{query}"))


@pytest.mark.parametrize("query", QUERY_STRINGS)
def test_no_partial_or_staff_answer_fails(client, query):
    assert_no_failure(client.get(f"/?{query}", headers={"X-KB-Partial": "1"}))
    assert sign_in(client).status_code == 302
    assert_no_failure(client.get(f"/?{query}"))


@pytest.mark.parametrize("path", PATH_VARIANTS)
def test_no_odd_path_fails(client, path):
    with client.get(path) as answer:
        assert answer.status_code < 500


@pytest.mark.parametrize(
    "form",
    [{}, {"name": "x" * 10000}, {"password": "\x00"}, {"name": "nurse", "password": ["a", "b"]}, {"next": "\r\nSet-Cookie: x=1"}],
)
def test_no_sign_in_post_fails(client, form):
    """With a valid CSRF token, so that the sign-in handler itself gets the odd form."""
    answer = client.post("/login", data={"csrf_token": csrf_token(client), **form})
    assert_no_failure(answer)
    assert answer.status_code in (200, 302, 400, 401)
    assert "This form has expired" not in answer.get_data(as_text=True)  # the token passed: the handler answered
