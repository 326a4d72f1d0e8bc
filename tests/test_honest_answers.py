"""The judged cases of tests/honest_answers.yaml, through the public API over the clinic's own
articles and rules: each case is a test, and each group reports its pass rate in the run's figures."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

import pytest
import yaml

from conftest import PROJECT, build, make_app

CASES = yaml.safe_load((Path(__file__).parent / "honest_answers.yaml").read_text(encoding="utf-8"))
GROUPS = ("no_correction", "misspelling", "unmatched", "totals", "urgent", "harmless", "misfire")
_outcomes: dict[str, list[bool]] = {group: [] for group in GROUPS}


@pytest.fixture(scope="module")
def clinic_client(tmp_path_factory):
    """The public API over articles/ (with articles/rules.yaml), built as `kb index` builds it."""
    base = tmp_path_factory.mktemp("honest")
    build(PROJECT / "articles", base / "index")
    app = make_app(PROJECT / "articles", base / "index", base / "instance", RATELIMIT_ENABLED=False)
    yield app.test_client()
    app.extensions["kb.search"].close()


@pytest.fixture(scope="module", autouse=True)
def _report_pass_rates(figures):
    yield
    for group, outcomes in _outcomes.items():
        if outcomes:
            figures[f"honest answers: {group}"] = f"{sum(outcomes)}/{len(outcomes)} passed"


def ask(client, q: str) -> dict:
    answer = client.get("/api/v1/search?" + urlencode({"q": q}))
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def slugs(result: dict) -> list[str]:
    return [hit["slug"] for hit in result["hits"]]


def check(group: str, passed: bool, detail) -> None:
    _outcomes[group].append(passed)
    assert passed, detail


def test_the_judged_set_is_large_enough():
    assert set(CASES) == set(GROUPS)
    assert sum(len(CASES[group]) for group in GROUPS) >= 60
    assert all(len(CASES[group]) >= 5 for group in GROUPS)


@pytest.mark.parametrize("q", CASES["no_correction"])
def test_ordinary_english_is_never_corrected(clinic_client, q):
    result = ask(clinic_client, q)
    check("no_correction", result["corrected"] is None, (q, result["corrected"]))


@pytest.mark.parametrize("case", CASES["misspelling"], ids=lambda case: case["q"])
def test_a_misspelling_is_corrected_and_finds_its_article(clinic_client, case):
    result = ask(clinic_client, case["q"])
    corrected = result["corrected"] or ""
    check("misspelling", case["fixed"] in corrected.split() and case["answer"] in slugs(result)[:3], (corrected, slugs(result)[:3]))


@pytest.mark.parametrize("case", CASES["unmatched"], ids=lambda case: case["q"])
def test_words_no_article_has_are_named(clinic_client, case):
    result = ask(clinic_client, case["q"])
    check("unmatched", result["unmatched"] == case["unmatched"], result["unmatched"])


@pytest.mark.parametrize("case", CASES["totals"], ids=lambda case: case["q"])
def test_a_question_counts_the_articles_that_answer_it(clinic_client, case):
    result = ask(clinic_client, case["q"])
    check("totals", 1 <= result["total"] <= case["at_most"] and slugs(result)[:1] == [case["answer"]], (result["total"], slugs(result)[:3]))


@pytest.mark.parametrize("case", CASES["urgent"], ids=lambda case: case["q"])
def test_a_symptom_that_needs_care_gets_its_notice_first(clinic_client, case):
    notices = ask(clinic_client, case["q"])["notices"]
    check("urgent", bool(notices) and notices[0]["level"] == case["level"], notices)


@pytest.mark.parametrize("q", CASES["harmless"])
def test_an_expected_effect_gets_no_urgent_notice(clinic_client, q):
    notices = ask(clinic_client, q)["notices"]
    check("harmless", not [n for n in notices if n["level"] in ("emergency", "urgent")], notices)


@pytest.mark.parametrize("case", CASES["misfire"], ids=lambda case: case["q"])
def test_a_phrase_with_another_meaning_does_not_misfire(clinic_client, case):
    result = ask(clinic_client, case["q"])
    ranked = slugs(result)
    first_right = "answer" not in case or ranked[:1] == [case["answer"]]
    unmatched_right = "unmatched" not in case or result["unmatched"] == case["unmatched"]
    check("misfire", first_right and unmatched_right and ranked[:1] != [case["not_first"]], (ranked[:3], result["unmatched"]))
