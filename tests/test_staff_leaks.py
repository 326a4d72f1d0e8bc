"""Staff-only articles never reach the public: every public endpoint probed with their titles and words.

The probes come from the clinic's real articles: each staff-only article's title, every word of
it that no public article and no taxonomy entry uses (its distinctive words), those words
misspelt (did-you-mean must not reveal them) and their prefixes (suggest must not complete them).
"""
from __future__ import annotations

import re
import sys
from collections import Counter
from urllib.parse import quote

import pytest

from conftest import PROJECT, build, make_app
from helpers import PASSWORD, sign_in
from kb.folder import load_folder
from kb.taxonomy import load_taxonomy

ARTICLES = PROJECT / "articles"
WORD = re.compile(r"[a-z][a-z']{3,}")


def words(text: str) -> set[str]:
    return set(WORD.findall(text.casefold()))


@pytest.fixture(scope="module")
def corpus(clinic_app):
    taxonomy = load_taxonomy(ARTICLES / "taxonomy.yaml")
    articles = load_folder(ARTICLES, taxonomy).articles
    staff = [article for article in articles if article.audience == "staff"]
    public = [article for article in articles if article.audience == "public"]
    public_words = set().union(*(words(f"{a.title} {a.summary} {a.text}") for a in public))
    public_words |= words((ARTICLES / "taxonomy.yaml").read_text(encoding="utf-8"))
    public_words |= words((PROJECT / "kb" / "medical_synonyms.yaml").read_text(encoding="utf-8"))
    # The pages' own words (labels, attributes, help text) are public whatever the query.
    chrome = clinic_app.test_client()
    for path in ("/", "/?q=zzzz", "/widget", "/login", "/api/v1/openapi.json", "/api/v1/facets"):
        public_words |= words(chrome.get(path).get_data(as_text=True))
    distinctive = {a.slug: sorted(words(f"{a.title} {a.summary} {a.text}") - public_words) for a in staff}
    return {"staff": staff, "public": public, "distinctive": distinctive, "taxonomy": taxonomy}


@pytest.fixture(scope="module")
def clinic_app(tmp_path_factory):
    base = tmp_path_factory.mktemp("leaks")
    build(ARTICLES, base / "index")
    app = make_app(ARTICLES, base / "index", base / "instance", RATELIMIT_ENABLED=False)
    app.extensions["kb.accounts"].add("nurse", PASSWORD)
    yield app
    app.extensions["kb.search"].close()


def misspelt(word: str) -> str:
    """One transposition in the middle: what a corrector would fix back to `word`."""
    middle = len(word) // 2
    return word[: middle - 1] + word[middle] + word[middle - 1] + word[middle + 1:]


def probes(corpus) -> list[str]:
    queries = []
    for article in corpus["staff"]:
        distinctive = corpus["distinctive"][article.slug]
        queries += [article.title, article.summary, " ".join(distinctive[:8])]
        queries += distinctive
        queries += [misspelt(word) for word in distinctive if len(word) >= 5]
        queries += [word[:n] for word in distinctive for n in (3, 4, len(word) - 1)]
    return list(dict.fromkeys(queries))


def leaked(body: str, query: str, corpus) -> list[str]:
    """Staff slugs, titles or distinctive words in an answer, beyond the words the query itself typed."""
    for echo in (query, quote(query), quote(query).replace("%20", "+"), query.replace("'", "&#39;")):
        body = body.replace(echo, " ")
    typed = words(query)
    found = []
    for article in corpus["staff"]:
        if article.slug in body or article.title in body:
            found.append(article.slug)
        found += [word for word in corpus["distinctive"][article.slug] if word not in typed and re.search(rf"\b{re.escape(word)}\b", body, flags=re.I)]
    return found


def test_the_staff_articles_have_distinctive_words_to_probe_with(corpus):
    assert len(corpus["staff"]) >= 3
    assert all(len(found) >= 10 for found in corpus["distinctive"].values()), corpus["distinctive"]


@pytest.mark.slow
def test_no_public_endpoint_reveals_a_staff_article(clinic_app, corpus, figures):
    client = clinic_app.test_client()
    staff = clinic_app.test_client()
    assert sign_in(staff).status_code == 302
    queries = probes(corpus)
    # Staff search the same words first: whatever they warm (caches, ETags) must not reach the public.
    for query in queries[:40]:
        assert staff.get("/", query_string={"q": query}).status_code == 200
    endpoints = [
        ("/api/v1/search", "q"), ("/api/v1/suggest", "q"), ("/", "q"), ("/widget", "placeholder"),
    ]
    counts: Counter = Counter()
    leaks = []
    for query in queries:
        for path, param in endpoints:
            answer = client.get(path, query_string={param: query})
            assert answer.status_code == 200, (path, query)
            counts[path] += 1
            leaks += [(path, query, word) for word in leaked(answer.get_data(as_text=True), query, corpus)]
        answer = client.get("/api/v1/search", query_string={"q": query, "per_page": 50})
        assert all(hit["slug"] not in corpus["distinctive"] for hit in answer.json["hits"])
    assert leaks == []
    figures["staff leaks: probe queries"] = len(queries)
    figures["staff leaks: public requests made"] = sum(counts.values())
    figures["staff leaks: leaks found"] = len(leaks)


def test_staff_articles_are_not_found_by_slug_on_public_endpoints(clinic_app, corpus):
    client = clinic_app.test_client()
    for article in corpus["staff"]:
        for path in (f"/articles/{article.slug}", f"/api/v1/articles/{article.slug}"):
            answer = client.get(path)
            assert answer.status_code == 404
            assert article.title not in answer.get_data(as_text=True)
    for article in corpus["public"]:  # nor listed as related to a public article
        body = client.get(f"/api/v1/articles/{article.slug}").get_data(as_text=True)
        assert leaked(body, "", corpus) == [], article.slug


def test_public_counts_are_those_of_the_public_articles_alone(clinic_app, corpus):
    client = clinic_app.test_client()
    expected = Counter((key, value) for a in corpus["public"] for key, values in a.facets.items() for value in values)
    for key, values in client.get("/api/v1/facets").json["facets"].items():
        for value in values:
            assert value["count"] == expected[(key, value["value"])], (key, value["value"])
    assert client.get("/api/v1/search?q=").json["total"] == len(corpus["public"])


def test_a_staff_answer_never_validates_for_the_public(clinic_app, corpus):
    """Staff pages are private and unvalidated (no ETag); an API ETag sent by anyone gets the public answer."""
    staff = clinic_app.test_client()
    assert sign_in(staff).status_code == 302
    title = corpus["staff"][0].title
    page = staff.get("/", query_string={"q": title})
    assert corpus["staff"][0].slug in page.get_data(as_text=True)
    assert "private" in page.headers["Cache-Control"] and "ETag" not in page.headers
    public = clinic_app.test_client()
    api = public.get("/api/v1/search", query_string={"q": title})
    again = public.get("/api/v1/search", query_string={"q": title}, headers={"If-None-Match": api.headers["ETag"]})
    assert again.status_code == 304
    assert staff.get("/api/v1/search", query_string={"q": title}).json == api.json  # the API is public for everyone


def test_the_probe_sees_a_staff_answer_for_what_it_is(clinic_app, corpus):
    """Signed-in staff get the staff articles for the same probes: the detector is not blind."""
    staff = clinic_app.test_client()
    assert sign_in(staff).status_code == 302
    for article in corpus["staff"]:
        body = staff.get("/", query_string={"q": article.title}).get_data(as_text=True)
        assert article.slug in leaked(body, article.title, corpus)


def calls_made(client, path: str) -> list[str]:
    """Every Python function called while the app answers `path`, in order (by module and name)."""
    called: list[str] = []

    def record(frame, event, arg):
        if event == "call":
            called.append(f"{frame.f_code.co_filename}:{frame.f_code.co_name}")

    sys.setprofile(record)
    try:
        answer = client.get(path)
    finally:
        sys.setprofile(None)
    assert answer.status_code == 404
    return called


@pytest.mark.parametrize("prefix", ["/api/v1/articles/", "/articles/"])
def test_a_staff_only_slug_is_refused_by_the_same_path_as_an_unknown_one(clinic_app, corpus, prefix):
    """Not a timing test: the same Python calls, in the same order, take the same time. A staff-only
    slug that took a longer path (finding the article, then refusing it) would say it exists."""
    client = clinic_app.test_client()
    staff_slug = corpus["staff"][0].slug
    unknown = "".join(reversed(staff_slug))  # the same length: nothing differs but existing
    for slug in (staff_slug, unknown):  # warm: templates compiled, caches filled
        client.get(prefix + slug)
    assert calls_made(client, prefix + staff_slug) == calls_made(client, prefix + unknown)
    assert len(calls_made(client, prefix + unknown)) > 20  # the probe sees the request's calls
