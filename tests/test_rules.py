"""Query rules: notices (most urgent first, whatever the filters or page), pins, and a rules file
checked with its file and line by `kb check` and `kb index` while the good rules still apply."""
from __future__ import annotations

import pytest

from conftest import build, make_app
from kb.rules import LEVELS, load_rules

RULES = """\
rules:
  - match: [trouble breathing, swollen throat]
    notice: {level: emergency, title: Call emergency services, text: Breathing trouble needs care now., slug: numbing-and-pain}
  - match: [fever]
    notice: {level: info, title: About fevers, text: A fever after treatment should be checked.}
  - match: [fever, pus]
    notice: {level: urgent, title: Signs of infection, text: Contact the clinic today.}
  - match: [price list]
    pin: laser-comparison
  - match: [microneedling]
    notice: {level: info, title: About microneedling, text: Ask the clinic about your skin.}
  - match: [zanzibar]
    notice: {level: info, title: Staff note, text: See the checklist., slug: staff-screening}
"""


@pytest.fixture
def rules_client(articles_copy, tmp_path):
    (articles_copy / "rules.yaml").write_text(RULES)
    build(articles_copy, tmp_path / "index")
    app = make_app(articles_copy, tmp_path / "index", tmp_path / "instance", RATELIMIT_ENABLED=False)
    yield app.test_client()
    app.extensions["kb.search"].close()


def search(client, **params) -> dict:
    answer = client.get("/api/v1/search", query_string=params)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def test_notices_come_most_urgent_first_after_stemming(rules_client):
    notices = search(rules_client, q="pus and a fever")["notices"]
    assert [n["level"] for n in notices] == ["urgent", "info"]
    assert search(rules_client, q="troubled breathing")["notices"][0] == {
        "level": "emergency", "title": "Call emergency services", "text": "Breathing trouble needs care now.", "slug": "numbing-and-pain",
    }
    assert search(rules_client, q="breathing trouble")["notices"] == []  # a phrase keeps its order
    assert search(rules_client, q="redness")["notices"] == []


@pytest.mark.parametrize("params", [{}, {"procedure": "laser-resurfacing"}, {"page": "2", "per_page": "1"}, {"sort": "title"}])
def test_a_notice_is_never_hidden_by_filters_or_paging(rules_client, params):
    result = search(rules_client, q="microneedling", **params)
    assert result["hits"] and [n["title"] for n in result["notices"]] == ["About microneedling"]


def test_a_notice_shows_even_when_no_article_matches(rules_client):
    result = search(rules_client, q="swollen throat")
    assert result["total"] == 0 and result["unmatched"] == ["swollen", "throat"]
    assert result["notices"][0]["level"] == "emergency"


def test_a_pinned_article_comes_first_and_counts(rules_client):
    plain = search(rules_client, q="cost")
    pinned = search(rules_client, q="cost price list")
    assert pinned["hits"][0]["slug"] == "laser-comparison"
    assert "laser-comparison" in [hit["slug"] for hit in search(rules_client, q="price list")["hits"]]
    assert pinned["total"] >= plain["total"]
    second_page = search(rules_client, q="cost price list", per_page="1", page="2")
    assert second_page["hits"][0]["slug"] != "laser-comparison"  # pinned once, on the first page
    filtered = search(rules_client, q="price list", procedure="microneedling")
    assert "laser-comparison" not in [hit["slug"] for hit in filtered["hits"]]  # filters still apply


def test_a_notice_never_links_the_public_to_a_staff_article(rules_client):
    notice = search(rules_client, q="zanzibar")["notices"][0]
    assert notice["title"] == "Staff note" and notice["slug"] is None


BAD_RULES = """\
rules:
  - match: [fever]
    notice: {level: urgent, title: Fine, text: Still applies.}
  - match: [rash]
    notice: {level: severe, title: Rash, text: Level is unknown.}
  - match: [itch]
    notice: {level: info, title: Itch, text: ""}
  - match: [costs]
    pin: no-such-article
  - match: [the, of]
    notice: {level: info, title: Stop words, text: Never matches.}
  - match: []
    pin: laser-comparison
  - colour: blue
"""


def test_kb_check_names_each_bad_rule_with_its_file_and_line(fresh_app, articles_copy):
    rules = articles_copy / "rules.yaml"
    rules.write_text(BAD_RULES)
    result = fresh_app.test_cli_runner().invoke(args=["check"])
    assert result.exit_code == 1
    for line, message in [
        (5, "notice level must be one of emergency, urgent, info, not 'severe'"),
        (7, "notice text must not be empty"),
        (9, "pin: no article 'no-such-article'"),
        (10, "match phrase 'the' has only stop words and can never match"),
        (12, "'match' must be a non-empty list of words or phrases"),
        (14, "unknown rule key 'colour'"),
    ]:
        assert f"{rules}:{line}: {message}" in result.output, result.output
    assert f"{rules}:2:" not in result.output and f"{rules}:4:" not in result.output


def test_kb_index_publishes_the_good_rules_and_reports_the_bad(fresh_app, articles_copy):
    (articles_copy / "rules.yaml").write_text(BAD_RULES)
    runner = fresh_app.test_cli_runner()
    result = runner.invoke(args=["index"])
    assert result.exit_code == 1 and "rules.yaml:5:" in result.output
    client = fresh_app.test_client()
    assert [n["title"] for n in client.get("/api/v1/search?q=fever").get_json()["notices"]] == ["Fine"]
    assert client.get("/api/v1/search?q=rash").get_json()["notices"] == []


def test_a_changed_rules_file_is_published_without_reindexing_the_articles(fresh_app, articles_copy):
    runner = fresh_app.test_cli_runner()
    assert "7 added" in runner.invoke(args=["index"]).output
    client = fresh_app.test_client()
    assert client.get("/api/v1/search?q=fever").get_json()["notices"] == []
    (articles_copy / "rules.yaml").write_text("rules:\n  - match: [fever]\n    notice: {level: urgent, title: New, text: Rule.}\n")
    assert "0 added, 0 updated, 0 removed, 0 rejected (update," in runner.invoke(args=["index"]).output
    assert [n["title"] for n in client.get("/api/v1/search?q=fever").get_json()["notices"]] == ["New"]


def test_unreadable_or_malformed_rules_files_are_one_problem_each(tmp_path):
    assert load_rules(tmp_path / "missing.yaml").rules == ()
    broken = tmp_path / "broken.yaml"
    broken.write_text("rules: [\n")
    (problem,) = load_rules(broken).problems
    assert problem.path == str(broken) and "not valid YAML" in problem.message
    broken.write_text("- just a list\n")
    assert "must be a mapping with a 'rules' list" in load_rules(broken).problems[0].message
    assert LEVELS == ("emergency", "urgent", "info")


def test_the_staff_page_shows_notices_above_the_results_on_every_page(rules_client):
    for url in ["/?q=microneedling", "/?q=microneedling&per_page=1&page=2", "/?q=microneedling&procedure=microneedling", "/?q=swollen+throat"]:
        page = rules_client.get(url).get_data(as_text=True)
        assert 'class="notice notice-' in page, url
        assert page.index('class="notice notice-') < page.index("result-summary")
    assert "Call emergency services" in rules_client.get("/?q=swollen+throat").get_data(as_text=True)


def test_several_pins_never_overflow_a_page_or_repeat(articles_copy, tmp_path):
    pins = "".join(f"  - match: [price list]\n    pin: {slug}\n" for slug in ("laser-comparison", "side-effects", "numbing-and-pain"))
    (articles_copy / "rules.yaml").write_text("rules:\n" + pins)
    build(articles_copy, tmp_path / "index")
    app = make_app(articles_copy, tmp_path / "index", tmp_path / "instance", RATELIMIT_ENABLED=False)
    try:
        client = app.test_client()
        pages = [search(client, q="price list", per_page="1", page=str(n))["hits"] for n in (1, 2, 3)]
        assert [len(hits) for hits in pages] == [1, 1, 1]
        assert [hits[0]["slug"] for hits in pages] == ["laser-comparison", "side-effects", "numbing-and-pain"]
    finally:
        app.extensions["kb.search"].close()


def test_a_rejected_rule_is_never_served(fresh_app, articles_copy):
    """kb index publishes the rules that passed its checks, not the file as written."""
    (articles_copy / "rules.yaml").write_text(
        "rules:\n"
        "  - match: [fever]\n    notice: {level: urgent, title: Ghost link, text: To nowhere., slug: no-such-article}\n"
        "  - match: [the, pus]\n    notice: {level: urgent, title: Stop words, text: Rejected whole.}\n"
        "  - match: [rash]\n    notice: {level: info, title: Kept, text: Still applies.}\n"
        "  - {match: [itch], 1: odd key, <<: {pin: no-such-article}}\n"
    )
    runner = fresh_app.test_cli_runner()
    result = runner.invoke(args=["index"])
    assert result.exit_code == 1 and "unknown rule key '1'" in result.output and "Traceback" not in result.output
    client = fresh_app.test_client()
    for q in ("fever", "pus", "itch"):
        assert client.get(f"/api/v1/search?q={q}").get_json()["notices"] == [], q
    assert [n["title"] for n in client.get("/api/v1/search?q=rash").get_json()["notices"]] == ["Kept"]
