import json

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from kb.api import openapi_document
from conftest import make_app, FIXTURES

CONTRACT_KEYS = {"query", "corrected", "total", "page", "per_page", "pages", "took_ms", "hits", "facets"}
HIT_KEYS = {"slug", "title", "url", "summary", "snippet", "score", "updated", "facets"}


@pytest.fixture(scope="module")
def spec():
    document = openapi_document()
    validate(document)
    return document


def check(spec, schema_name, body):
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": spec["components"]}
    Draft202012Validator(schema).validate(body)


def test_search_answers_in_the_contract_shape(client, spec):
    response = client.get("/api/v1/search?q=microneedling%20cost")
    assert response.status_code == 200 and response.mimetype == "application/json"
    body = response.get_json()
    check(spec, "SearchResponse", body)
    assert set(body) >= CONTRACT_KEYS
    assert body["query"] == "microneedling cost" and body["corrected"] is None
    assert body["hits"][0]["slug"] == "microneedling-cost"
    assert set(body["hits"][0]) >= HIT_KEYS
    assert body["hits"][0]["url"] == "/articles/microneedling-cost"
    assert body["hits"][0]["updated"] == "2026-11-01"
    assert set(body["facets"]) == {"scar_type", "procedure", "side_effect", "cost"}
    assert {"value": "ice-pick", "label": "Ice pick"}.items() <= body["facets"]["scar_type"][0].items()


@pytest.mark.parametrize(
    "url, schema_name",
    [
        ("/api/v1/search", "SearchResponse"),
        ("/api/v1/search?q=microneedeling", "SearchResponse"),
        ("/api/v1/search?q=porcupine", "SearchResponse"),
        ("/api/v1/search?scar_type=boxcar&scar_type=rolling&procedure=microneedling&sort=title&per_page=2&page=1", "SearchResponse"),
        ("/api/v1/articles/what-is-microneedling", "Article"),
        ("/api/v1/articles/microneedling-cost", "Article"),
        ("/api/v1/suggest?q=micro", "SuggestResponse"),
        ("/api/v1/suggest?q=", "SuggestResponse"),
        ("/api/v1/facets", "FacetsResponse"),
        ("/api/v1/search?per_page=0", "Error"),
        ("/api/v1/articles/nope", "Error"),
        ("/api/v1/search?page=9", "Error"),
    ],
)
def test_real_answers_match_the_openapi_document(client, spec, url, schema_name):
    response = client.get(url)
    check(spec, schema_name, response.get_json())
    operation = spec["paths"][url.split("?")[0].replace("what-is-microneedling", "{slug}").replace("microneedling-cost", "{slug}").replace("/nope", "/{slug}")]["get"]
    assert str(response.status_code) in operation["responses"]


def test_openapi_document_is_served_and_valid(client, spec):
    body = client.get("/api/v1/openapi.json").get_json()
    assert body["openapi"].startswith("3.1")
    assert set(body["paths"]) == {
        "/api/v1/search", "/api/v1/articles/{slug}", "/api/v1/suggest", "/api/v1/facets", "/api/v1/events", "/api/v1/openapi.json",
    }


BAD_REQUESTS = [
    ("/api/v1/search?per_page=51", 400, "bad_parameter", "per_page"),
    ("/api/v1/search?per_page=abc", 400, "bad_parameter", "per_page"),
    ("/api/v1/search?per_page=2.5", 400, "bad_parameter", "per_page"),
    ("/api/v1/search?per_page=NaN", 400, "bad_parameter", "per_page"),
    ("/api/v1/search?per_page=Infinity", 400, "bad_parameter", "per_page"),
    ("/api/v1/search?page=1e999999", 400, "bad_parameter", "page"),
    ("/api/v1/search?page=0", 400, "bad_parameter", "page"),
    ("/api/v1/search?page=%D9%A3", 400, "bad_parameter", "page"),  # Arabic-Indic three
    ("/api/v1/search?per_page=%EF%BC%93", 400, "bad_parameter", "per_page"),  # full-width three
    ("/api/v1/search?page=1_0", 400, "bad_parameter", "page"),
    ("/api/v1/search?page=-1", 400, "bad_parameter", "page"),
    ("/api/v1/search?page=99", 404, "not_found", "page"),
    ("/api/v1/search?sort=price", 400, "bad_parameter", "sort"),
    ("/api/v1/search?procedure=micro-needlng", 400, "bad_parameter", "procedure"),
    ("/api/v1/search?cost=cheap", 400, "bad_parameter", "cost"),
    ("/api/v1/search?side_effect=", 200, None, None),
    ("/api/v1/search?q=a&q=b", 400, "bad_parameter", "q"),
    ("/api/v1/search?q=" + "x" * 201, 413, "query_too_long", "q"),
    ("/api/v1/search?colour=red", 400, "bad_parameter", "colour"),
    ("/api/v1/search?q=%00", 400, "bad_parameter", "q"),
    ("/api/v1/suggest?q=" + "x" * 201, 413, "query_too_long", "q"),
    ("/api/v1/suggest?q=a&q=b", 400, "bad_parameter", "q"),
    ("/api/v1/suggest?prefix=a", 400, "bad_parameter", "prefix"),
    ("/api/v1/facets?x=1", 400, "bad_parameter", "x"),
    ("/api/v1/articles/staff-screening", 404, "not_found", "slug"),
    ("/api/v1/articles/..%2F..%2Fetc%2Fpasswd", 404, "not_found", None),
    ("/api/v1/nowhere", 404, "not_found", None),
]


def test_whole_numbers_written_as_decimals_are_accepted_as_the_openapi_document_allows(client):
    """JSON Schema's integer includes 3.0 and 3e0; a generated client may write either."""
    for written in ("3", "3.0", "3e0", "+3"):
        body = client.get(f"/api/v1/search?per_page={written}&page=1.00").get_json()
        assert (body["per_page"], body["page"]) == (3, 1), written


@pytest.mark.parametrize("url, status, code, param", BAD_REQUESTS)
def test_one_error_shape_for_every_bad_request(client, spec, url, status, code, param):
    response = client.get(url)
    assert response.status_code == status
    if code is None:
        return
    body = response.get_json()
    check(spec, "Error", body)
    assert body["error"]["code"] == code
    assert body["error"]["param"] == param
    assert body["error"]["message"]
    assert "Traceback" not in response.get_data(as_text=True)


def test_wrong_method_is_a_json_405(client):
    response = client.post("/api/v1/search")
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"
    assert "GET" in response.headers["Allow"]


def test_unexpected_failure_is_a_json_500_without_trace(app, client, monkeypatch):
    engine = app.extensions["kb.search"].engine()

    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(engine, "facet_totals", broken)
    response = client.get("/api/v1/facets")
    assert response.status_code == 500
    body = response.get_json()
    assert body["error"]["code"] == "internal_error"
    assert "secret internals" not in response.get_data(as_text=True)


def test_no_index_answers_503(tmp_path):
    app = make_app(FIXTURES, tmp_path / "empty-index", tmp_path / "instance")
    response = app.test_client().get("/api/v1/search?q=cost")
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "index_unavailable"


def test_an_index_built_by_an_older_kb_answers_503_asking_for_a_rebuild(articles_copy, tmp_path):
    """After an upgrade that changed the index layout, until `kb index` has run again."""
    import json

    from conftest import build

    build(articles_copy, tmp_path / "index")
    manifest = next((tmp_path / "index").glob("*/manifest.json"))
    data = json.loads(manifest.read_text())
    manifest.write_text(json.dumps({**data, "schema": data["schema"] - 1}))
    app = make_app(articles_copy, tmp_path / "index", tmp_path / "instance")
    response = app.test_client().get("/api/v1/search?q=cost")
    assert response.status_code == 503
    assert response.get_json()["error"]["message"] == "the index was built by an older kb; rebuild it with `kb index`"
    build(articles_copy, tmp_path / "index")  # the next `kb index` rebuilds it
    assert app.test_client().get("/api/v1/search?q=cost").status_code == 200
    app.extensions["kb.search"].close()


def test_public_api_never_returns_staff_articles(client):
    for url in ["/api/v1/search?q=zanzibar", "/api/v1/search?q=screening%20checklist", "/api/v1/search?per_page=50"]:
        assert "staff-screening" not in client.get(url).get_data(as_text=True)
    facets = client.get("/api/v1/facets").get_json()["facets"]
    assert next(v for v in facets["scar_type"] if v["value"] == "boxcar")["count"] == 2
    assert "zanzibar" not in client.get("/api/v1/suggest?q=zanz").get_data(as_text=True)


def test_article_endpoint_returns_sanitized_html_and_metadata(client):
    body = client.get("/api/v1/articles/microneedling-cost").get_json()
    assert body["title"] == "Cost of micro-needling sessions"
    assert body["price"] == {"min": 150.0, "max": 400.0, "currency": "USD"}
    assert body["facets"]["cost"] == ["under-200", "200-to-300", "over-300"]
    assert "<h2" in body["html"] and "<script" not in body["html"]


def test_public_answers_are_cacheable_and_revalidate(client):
    first = client.get("/api/v1/search?q=cost")
    assert first.headers["Cache-Control"] == "public, max-age=60"
    etag = first.headers["ETag"]
    again = client.get("/api/v1/search?q=cost", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.headers["ETag"] == etag
    other = client.get("/api/v1/search?q=price")
    assert other.headers["ETag"] != etag
    # the same search with spaces around it is the same answer; in capitals it is another (its `query` differs)
    assert client.get("/api/v1/search?q=%20cost%20").headers["ETag"] == etag
    assert client.get("/api/v1/search?q=COST").headers["ETag"] != etag


def test_errors_are_not_cached_as_public(client):
    assert "public" not in client.get("/api/v1/search?per_page=0").headers.get("Cache-Control", "")


def test_cors_is_off_by_default(client):
    response = client.get("/api/v1/search?q=cost", headers={"Origin": "https://clinic.example"})
    assert "Access-Control-Allow-Origin" not in response.headers


@pytest.fixture
def cors_client(built_index, tmp_path):
    app = make_app(FIXTURES, built_index, tmp_path / "instance", CORS_ORIGINS="https://clinic.example, https://other.example")
    yield app.test_client()
    app.extensions["kb.search"].close()


@pytest.mark.parametrize("url", ["/api/v1/search?q=cost", "/api/v1/search?per_page=0", "/api/v1/suggest?q=mi"])
def test_cors_allows_configured_origins_on_answers_and_errors(cors_client, url):
    response = cors_client.get(url, headers={"Origin": "https://clinic.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "https://clinic.example"
    assert "Origin" in response.headers.get("Vary", "")


def test_cors_refuses_other_origins(cors_client):
    response = cors_client.get("/api/v1/search?q=cost", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in response.headers


@pytest.mark.parametrize("origins", ["https://clinic.example", "https://clinic.example, https://other.example"])
@pytest.mark.parametrize("url", ["/api/v1/search?q=cost", "/api/v1/search?per_page=0", "/api/v1/articles/what-is-microneedling", "/api/v1/facets"])
def test_every_api_answer_varies_by_origin_while_cors_is_on(built_index, tmp_path, origins, url):
    """A CDN keys its copy by Origin only if told: the allowed, the refused and no origin alike."""
    app = make_app(FIXTURES, built_index, tmp_path / "instance", CORS_ORIGINS=origins)
    client = app.test_client()
    try:
        for headers in ({"Origin": "https://clinic.example"}, {"Origin": "https://evil.example"}, {}):
            response = client.get(url, headers=headers)
            varies = [name.strip() for line in response.headers.get_all("Vary") for name in line.split(",")]
            assert varies.count("Origin") == 1, (headers, response.headers)
            etag = response.headers.get("ETag")
            if etag:
                revalidated = client.get(url, headers={**headers, "If-None-Match": etag})
                assert revalidated.status_code == 304 and "Origin" in revalidated.headers["Vary"]
    finally:
        app.extensions["kb.search"].close()


def test_without_cors_answers_do_not_vary_by_origin(client):
    assert "Origin" not in client.get("/api/v1/search?q=cost").headers.get("Vary", "")


def test_cors_preflight(cors_client):
    response = cors_client.options(
        "/api/v1/search", headers={"Origin": "https://other.example", "Access-Control-Request-Method": "GET"}
    )
    assert response.headers["Access-Control-Allow-Origin"] == "https://other.example"


def test_answers_are_utf8_json_as_the_contract_says(client):
    answer = client.get("/api/v1/search?q=scar")
    assert answer.mimetype == "application/json"
    text = answer.get_data().decode("utf-8")
    assert json.loads(text) == answer.get_json()
    assert " … " in text  # passages are joined as written, not as \u2026 escapes
    assert text.endswith("}\n")
