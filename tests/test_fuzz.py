"""Property-based tests: arbitrary input to the search function and every endpoint never gets a 5xx.

Hypothesis generates the values (any Unicode, control characters, surrogates as escapes, very
long strings, repeated and unknown parameters); schemathesis generates requests from our OpenAPI
document and checks each answer against it. Runs are derandomized so CI sees the same cases.
"""
from __future__ import annotations

from urllib.parse import quote

import json
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import FIXTURES, make_app
from kb.errors import KbError
from kb.parameters import parse_request

pytestmark = pytest.mark.fuzz

FUZZ = settings(max_examples=300, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SEARCH = ["q", "page", "per_page", "sort", "scar_type", "procedure", "side_effect", "cost"]
KNOWN = [*SEARCH, "placeholder", "results", "theme"]
ENDPOINTS = [
    "/api/v1/search", "/api/v1/suggest", "/api/v1/facets", "/api/v1/articles/what-is-microneedling",
    "/api/v1/openapi.json", "/", "/articles/what-is-microneedling", "/login", "/widget", "/widget.js",
]

#: Hostile text: anything Unicode has (control characters included), often very long or empty.
text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=150, max_size=5000),
    st.sampled_from(["", " ", "\x00", "%", "%ff", "<script>", "1e309", "-1", "0", "NaN", "micro needling", "ＭＩＣＲＯ"]),
)
#: Mostly the parameters the endpoints know, sometimes names they don't.
#: Values the parameters accept, so that many cases get past validation and reach the engine.
valid = st.sampled_from(["", "relevance", "title", "updated"])
names = st.one_of(st.sampled_from(KNOWN), st.sampled_from(KNOWN), st.sampled_from(KNOWN), st.text(min_size=1, max_size=12))
params = st.lists(st.tuples(names, text), max_size=6)


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory):
    from conftest import build

    base = tmp_path_factory.mktemp("fuzz")
    build(FIXTURES, base / "index")
    app = make_app(FIXTURES, base / "index", base / "instance", RATELIMIT_ENABLED=False)
    yield app
    app.extensions["kb.search"].close()


def count(figures, name: str, cases: int = 1) -> None:
    figures[name] = figures.get(name, 0) + cases
    figures.setdefault("fuzz: 5xx answers or stack traces", 0)  # any would have failed the test first


def test_the_search_function_answers_or_says_what_is_wrong(fuzz_app, figures):
    engine = fuzz_app.extensions["kb.search"].engine()

    facet = st.lists(st.sampled_from(["", "microneedling", "laser-resurfacing", "ice-pick", "boxcar", "redness"]), max_size=3)
    number = st.one_of(st.integers(min_value=-5, max_value=200).map(str), text)

    @FUZZ
    @given(st.fixed_dictionaries(
        {"q": st.one_of(st.lists(st.text(max_size=60), min_size=1, max_size=1), st.lists(text, min_size=1, max_size=2))},
        optional={"scar_type": facet, "procedure": facet, "side_effect": facet, "page": st.lists(number, max_size=1),
                  "per_page": st.lists(number, max_size=1), "sort": st.lists(st.one_of(valid, text), max_size=1)},
    ))
    def search(request_params):
        try:
            parsed = parse_request(request_params, engine.taxonomy)
        except KbError as error:
            assert 400 <= error.status < 500 and error.param
            count(figures, "fuzz: search-function cases refused with a 4xx naming the parameter")
            return
        for audience in ("public", "staff"):
            try:
                result = engine.search(parsed, audience)
            except KbError as error:  # a page past the last one
                assert error.status == 404 and error.param == "page"
                continue
            assert result["total"] >= len(result["hits"])
            assert len({hit["slug"] for hit in result["hits"]}) == len(result["hits"])
        count(figures, "fuzz: search-function cases answered")

    search()


def test_every_endpoint_answers_arbitrary_query_strings_without_a_5xx(fuzz_app, figures):
    client = fuzz_app.test_client()

    @FUZZ
    @given(st.sampled_from(ENDPOINTS), params)
    def request(path, pairs):
        query = "&".join(f"{quote(name, safe='')}={quote(value, safe='', errors='surrogatepass')}" for name, value in pairs)
        answer = client.get(f"{path}?{query}")
        body = answer.get_data()
        assert answer.status_code < 500, (path, query, body[:300])
        assert b"Traceback" not in body
        if path.startswith("/api/") and answer.status_code >= 400:
            assert answer.json["error"]["message"]
            assert answer.json["error"]["param"] or answer.status_code in (404, 405)
        count(figures, "fuzz: HTTP cases (hypothesis)")

    request()


def test_raw_bytes_in_paths_and_query_strings(fuzz_app, figures):
    client = fuzz_app.test_client()

    @FUZZ
    @given(st.sampled_from(["/api/v1/search?q=", "/?q=", "/api/v1/articles/", "/articles/", "/api/v1/suggest?q="]), st.binary(max_size=300))
    def request(prefix, raw):
        encoded = "".join(f"%{byte:02X}" for byte in raw)
        answer = client.get(prefix + encoded)
        assert answer.status_code < 500
        count(figures, "fuzz: HTTP cases (hypothesis)")

    request()


#: Schemathesis's WSGI transport reads bodies as they were sent; an HTTP client would undo the
#: Content-Encoding first (tests/test_compression.py checks compressed answers).
PLAIN = {"Accept-Encoding": "identity"}


def test_the_api_keeps_its_openapi_promises(fuzz_app, figures):
    """Schemathesis draws requests for every operation of our OpenAPI document and validates each answer
    (status documented, body and headers as the schema says, never a server error)."""
    api_schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", fuzz_app)

    @settings(max_examples=300, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
    @given(api_schema.as_strategy())
    def call(case):
        case.call_and_validate(headers=PLAIN)
        count(figures, "fuzz: HTTP cases (schemathesis, checked against the OpenAPI document)")

    call()


def test_the_api_survives_what_its_openapi_document_rules_out(fuzz_app, figures):
    """Negative cases (wrong types, out-of-range numbers, values outside the enums): a documented 4xx or a
    valid answer, never a 5xx. Schemathesis's rejection check stays off here: once serialized into a query
    string many "negative" cases are valid requests (an array of one empty value is `procedure=`)."""
    from schemathesis import GenerationMode
    from schemathesis.checks import CHECKS

    api_schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", fuzz_app)
    rejection = CHECKS.get_by_names(["negative_data_rejection"])

    @settings(max_examples=300, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
    @given(api_schema.as_strategy(generation_mode=GenerationMode.NEGATIVE))
    def call(case):
        answer = case.call_and_validate(headers=PLAIN, excluded_checks=rejection)
        assert answer.status_code in (200, 304, 400, 404, 413), answer.status_code
        count(figures, "fuzz: HTTP cases (schemathesis negative, checked against the OpenAPI document)")

    call()


def test_the_sign_in_and_sign_out_forms_take_anything_without_a_5xx(fuzz_app, figures):
    """With a valid CSRF token, so that arbitrary names, passwords and next pages reach the handlers."""
    from helpers import csrf_token

    client = fuzz_app.test_client()
    token = csrf_token(client)

    @FUZZ
    @given(st.sampled_from(["/login", "/logout"]), st.dictionaries(st.sampled_from(["name", "password", "next", "extra"]), text, max_size=4))
    def post(path, form):
        answer = client.post(path, data={**form, "csrf_token": token})
        assert answer.status_code in (200, 302, 400, 401), (path, form, answer.status_code)
        assert b"Traceback" not in answer.get_data()
        if answer.status_code == 302:
            assert not answer.headers["Location"].startswith(("//", "http")), answer.headers["Location"]
        count(figures, "fuzz: HTTP cases (hypothesis)")

    post()


def test_the_events_endpoint_takes_any_body_without_a_5xx(fuzz_app, figures):
    """Arbitrary bytes, arbitrary JSON and near-valid events: 204 or a 400 naming what is wrong."""
    client = fuzz_app.test_client()
    json_values = st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | text,
        lambda children: st.lists(children, max_size=3) | st.dictionaries(text, children, max_size=3),
        max_leaves=8,
    )
    near_valid = st.fixed_dictionaries(
        {"type": st.sampled_from(["click", "feedback", "view", ""])},
        optional={"search_id": text | st.integers(), "slug": text | st.sampled_from(["ice-pick-scars", "staff-screening"]),
                  "position": st.integers() | text | st.booleans(), "helpful": st.booleans() | text, "reason": text | st.none()},
    )

    @FUZZ
    @given(st.binary(max_size=1200) | json_values.map(lambda v: json.dumps(v).encode()) | near_valid.map(lambda v: json.dumps(v).encode()),
           st.sampled_from(["text/plain", "application/json", "text/plain;charset=UTF-8"]))
    def post(body, content_type):
        answer = fuzz_app.test_client().post("/api/v1/events", data=body, content_type=content_type)
        assert answer.status_code in (204, 400), (body, answer.status_code)
        if answer.status_code == 400:
            assert answer.get_json()["error"]["param"]
        count(figures, "fuzz: events bodies")

    post()
