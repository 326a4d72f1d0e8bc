import contextlib
import itertools
import re

import pytest

from kb.engine import search_id
from kb.errors import BadParameter, NotFound, QueryTooLong
from kb.parameters import SearchRequest, parse_request
from kb.taxonomy import FACET_KEYS

HOSTILE_QUERIES = [
    "micro*", "?", "*", "title:microneedling", 'cost "unbalanced', "AND", "NOT OR AND", "micro AND NOT cost",
    "(", ")", "[", "{", "a:b:c", "\\", "~2", "cost^10", "<script>alert(1)</script>", "' OR 1=1 --", "ℌ𝔢𝔩𝔩𝔬 ☃",
    "é" * 50, "\u200b", "  ", "-", "cost~", "field:", ":", "'", "%%", "\t\n",
]


def ask(engine, audience="public", **params):
    params = {k: v if isinstance(v, list) else [str(v)] for k, v in params.items()}
    return engine.search(parse_request(params, engine.taxonomy), audience)


def slugs(result):
    return [hit["slug"] for hit in result["hits"]]


@pytest.mark.parametrize(
    "variant",
    ["microneedling", "micro-needling", "micro needling", "Micro Needling", "MICRONEEDLING", "collagen induction therapy"],
)
def test_spelling_variants_and_synonyms_return_the_same_articles(engine, variant):
    reference = ask(engine, q="microneedling")
    result = ask(engine, q=variant)
    assert slugs(result) == slugs(reference)
    assert result["total"] == reference["total"] == 5


@pytest.mark.parametrize(
    "query, expected",
    [
        ("does it hurt", "numbing-and-pain"),
        ("how much does it cost", "microneedling-cost"),
        ("price", "microneedling-cost"),
        ("dark spots after treatment", "side-effects"),
        ("cold sores", "side-effects"),
        ("icepick", "ice-pick-scars"),
        ("ice pick", "ice-pick-scars"),
        ("numbing cream", "numbing-and-pain"),
        ("laser", "laser-comparison"),
    ],
)
def test_lay_questions_find_the_answering_article_first(engine, query, expected):
    assert slugs(ask(engine, q=query))[0] == expected


@pytest.mark.parametrize(
    "typo, fixed, expected",
    [("microneedeling", "microneedling", "what-is-microneedling"), ("hyperpigmantation", "hyperpigmentation", "side-effects")],
)
def test_misspellings_are_corrected_and_said(engine, typo, fixed, expected):
    result = ask(engine, q=typo)
    assert result["corrected"] == fixed
    assert expected in slugs(result)[:2]


def test_known_words_are_not_corrected(engine):
    assert ask(engine, q="microneedling cost")["corrected"] is None


def test_correction_keeps_the_rest_of_the_query(engine):
    assert ask(engine, q="Microneedeling cost")["corrected"] == "microneedling cost"


@pytest.mark.parametrize("query", HOSTILE_QUERIES)
def test_query_syntax_is_just_words(engine, query):
    """No operator, field, wildcard or markup means anything: a query answers as its words alone,
    a query of symbols only finds nothing, and one of spaces only is no query."""
    result = ask(engine, q=query)
    words = " ".join(re.findall(r"\w+", query))
    answer = (slugs(result), result["total"], result["unmatched"], result["corrected"])
    if words:
        alone = ask(engine, q=words)
        assert answer == (slugs(alone), alone["total"], alone["unmatched"], alone["corrected"])
    elif query.strip():
        assert answer == ([], 0, [], None)
    else:
        assert slugs(result) == slugs(ask(engine))
    for hit in result["hits"]:
        assert set(re.findall(r"</?([a-zA-Z]+)", hit["snippet"])) <= {"mark"}


def test_field_syntax_does_not_restrict_to_a_field(engine):
    # 'title:' is not an operator: the words are searched everywhere like any others.
    assert slugs(ask(engine, q="title:redness")) == slugs(ask(engine, q="title redness"))


def test_snippets_mark_matches_and_escape_everything_else(engine):
    hit = ask(engine, q="swelling")["hits"][0]
    assert "<mark>swelling</mark>" in hit["snippet"]
    assert set(re.findall(r"</?([a-zA-Z]+)", hit["snippet"])) == {"mark"}


def test_snippet_marks_the_words_a_synonym_matched(engine):
    hit = ask(engine, q="dark spots")["hits"][0]
    assert "<mark>Post-inflammatory hyperpigmentation</mark>" in hit["snippet"]


def test_browse_lists_everything_public_with_summaries(engine):
    result = ask(engine)
    assert result["total"] == 6 and "staff-screening" not in slugs(result)
    assert all(hit["score"] == 0 for hit in result["hits"])
    assert result["hits"][0]["snippet"] == result["hits"][0]["summary"]
    # browsing by relevance shows the most recently updated first
    assert slugs(result)[0] == "microneedling-cost"


def test_filters_or_within_a_facet_and_across_facets(engine):
    boxcar = set(slugs(ask(engine, scar_type="boxcar")))
    rolling_or_ice = set(slugs(ask(engine, scar_type=["rolling", "ice-pick"])))
    assert boxcar == {"what-is-microneedling", "laser-comparison"}
    assert rolling_or_ice == {"what-is-microneedling", "laser-comparison", "ice-pick-scars"}
    both = set(slugs(ask(engine, scar_type=["rolling", "ice-pick"], procedure="microneedling")))
    assert both == {"what-is-microneedling", "ice-pick-scars"}
    with_text = ask(engine, q="collagen", scar_type="boxcar")
    assert slugs(with_text) == ["what-is-microneedling"]


def facet(result, key):
    return {v["value"]: (v["count"], v["selected"]) for v in result["facets"][key]}


def test_facet_counts_are_disjunctive(engine):
    result = ask(engine, scar_type="boxcar")
    # The selected facet keeps its siblings' counts as if nothing were selected in it...
    assert facet(result, "scar_type") == {"ice-pick": (2, False), "boxcar": (2, True), "rolling": (2, False)}
    # ...while the other facets count within the selection.
    assert facet(result, "procedure") == {"microneedling": (1, False), "laser-resurfacing": (1, False)}


@pytest.mark.parametrize("q", ["", "scars"])
def test_each_facets_counts_are_the_totals_of_selecting_its_values(articles_engine, q):
    """By definition: a value's count is the total when it replaces its facet's own selection and
    every other facet's selection stays. Checked for every pair and triple of selected facets."""
    engine = articles_engine
    first = {key: engine.taxonomy.facet(key).values[0].value for key in FACET_KEYS}
    combinations = [dict(pair) for size in (1, 2, 3) for pair in itertools.combinations(first.items(), size)]
    counted = 0
    for selected in combinations:
        result = ask(engine, q=q, **selected)
        for key in FACET_KEYS:
            others = {k: v for k, v in selected.items() if k != key}
            expected = {v.value: ask(engine, q=q, **others, **{key: v.value})["total"] for v in engine.taxonomy.facet(key).values}
            assert {v["value"]: v["count"] for v in result["facets"][key]} == expected, (selected, key)
            counted += sum(expected.values())
    assert counted > 100  # the selections leave articles to count


def test_every_taxonomy_value_is_listed_even_at_zero(engine):
    result = ask(engine, q="porcupine")
    assert result["total"] == 0 and result["pages"] == 0 and result["hits"] == []
    assert [v["value"] for v in result["facets"]["cost"]] == ["under-200", "200-to-300", "over-300"]
    assert all(v["count"] == 0 for values in result["facets"].values() for v in values)


def test_cost_facet_counts_price_bands(engine):
    assert facet(ask(engine), "cost") == {"under-200": (1, False), "200-to-300": (1, False), "over-300": (1, False)}
    assert slugs(ask(engine, cost="over-300")) == ["microneedling-cost"]


@pytest.mark.parametrize(
    "sort, first",
    [("title", "Cost of micro-needling sessions"), ("updated", "Cost of micro-needling sessions")],
)
def test_sorting(engine, sort, first):
    result = ask(engine, sort=sort)
    titles = [hit["title"] for hit in result["hits"]]
    assert titles[0] == first
    if sort == "title":
        assert titles == sorted(titles, key=str.casefold)
    else:
        dates = [hit["updated"] or "" for hit in result["hits"]]
        assert dates == sorted(dates, reverse=True)


def test_pagination(engine):
    everything = slugs(ask(engine, per_page=50))
    pages = [slugs(ask(engine, per_page=4, page=n)) for n in (1, 2)]
    assert pages[0] + pages[1] == everything
    assert ask(engine, per_page=4)["pages"] == 2
    with pytest.raises(NotFound) as info:
        ask(engine, per_page=4, page=3)
    assert info.value.param == "page"


def test_staff_audience_sees_staff_articles(engine):
    assert slugs(ask(engine, "staff", q="zanzibar protocol")) == ["staff-screening"]
    assert facet(ask(engine, "staff", scar_type="boxcar"), "scar_type")["boxcar"] == (3, True)


@pytest.mark.parametrize("query", ["zanzibar", "zanzibar protocol", "quixotically", "Screening checklist for consultations"])
def test_staff_articles_never_reach_the_public(engine, query):
    result = ask(engine, q=query)
    assert "staff-screening" not in slugs(result)
    assert result["corrected"] in (None,) or "zanzibar" not in result["corrected"]
    assert not any("zanzib" in s["text"] or "quixot" in s["text"] or "Screening" in s["text"] for s in engine.suggest(query[:4]))


def test_staff_words_do_not_feed_public_corrections(engine):
    assert ask(engine, "staff", q="zanzibat")["corrected"] == "zanzibar"
    assert ask(engine, "public", q="zanzibat")["corrected"] is None


def test_public_counts_ignore_staff_articles(engine):
    assert engine.facet_totals("public")["scar_type"][1] == {"value": "boxcar", "label": "Boxcar", "count": 2}
    assert engine.facet_totals("staff")["scar_type"][1]["count"] == 3


def test_suggest_completes_terms_titles_and_facets(engine):
    suggestions = engine.suggest("micro")
    kinds = {s["kind"] for s in suggestions}
    assert {"term", "title", "facet"} <= kinds
    assert {"text": "microneedling", "kind": "term"} in suggestions
    assert {"text": "What is microneedling?", "kind": "title", "slug": "what-is-microneedling"} in suggestions
    assert len(suggestions) <= 8
    assert engine.suggest("") == [] and engine.suggest("   ") == []


def test_suggest_keeps_earlier_words(engine):
    assert {"text": "side effects", "kind": "term"} in engine.suggest("side eff")


def test_article_detail_and_audience(engine):
    article = engine.article("what-is-microneedling")
    assert article["html"].startswith("<h2")
    assert [r["slug"] for r in article["related"]] == ["microneedling-cost", "side-effects"]
    with pytest.raises(NotFound):
        engine.article("staff-screening")
    assert engine.article("staff-screening", "staff")["title"] == "Screening checklist for consultations"


@pytest.mark.parametrize(
    "params, error, param",
    [
        ({"per_page": ["0"]}, BadParameter, "per_page"),
        ({"per_page": ["51"]}, BadParameter, "per_page"),
        ({"page": ["0"]}, BadParameter, "page"),
        ({"page": ["1000"]}, BadParameter, "page"),
        ({"page": ["two"]}, BadParameter, "page"),
        ({"sort": ["price"]}, BadParameter, "sort"),
        ({"procedure": ["micro-needlng"]}, BadParameter, "procedure"),
        ({"q": ["a", "b"]}, BadParameter, "q"),
        ({"q": ["x" * 201]}, QueryTooLong, "q"),
        ({"colour": ["red"]}, BadParameter, "colour"),
    ],
)
def test_bad_parameters_name_the_parameter(engine, params, error, param):
    with pytest.raises(error) as info:
        parse_request(params, engine.taxonomy)
    assert info.value.param == param


def test_unknown_facet_value_suggests_the_closest(engine):
    with pytest.raises(BadParameter, match="closest valid values: microneedling"):
        parse_request({"procedure": ["micro-needlng"]}, engine.taxonomy)


def test_equal_articles_keep_slug_order_whatever_their_document_numbers(articles_copy, tmp_path):
    """Ties go by slug: an update renumbers the edited article, and rebuilds number articles as they come."""
    from conftest import build
    from kb.index import IndexStore
    from kb.engine import Engine

    twin = "---\ntitle: Twin\nsummary: Zanzibarian twins.\nupdated: 2026-01-01\n---\nZanzibarian quixotic words.\n"
    for name in ("twin-a", "twin-b", "twin-c"):
        (articles_copy / f"{name}.md").write_text(twin)
    build(articles_copy, tmp_path / "index")
    (articles_copy / "twin-a.md").write_text(twin + "\n")  # same words; now the last document
    build(articles_copy, tmp_path / "index")
    store = IndexStore(tmp_path / "index")
    engine = Engine(store, store.current_name())
    try:
        assert engine.reader.doc_count_all() > engine.reader.doc_count()  # the update left a deleted document
        for sort in ("relevance", "updated", "title"):
            result = engine.search(parse_request({"q": ["zanzibarian quixotic"], "sort": [sort]}, engine.taxonomy))
            assert [hit["slug"] for hit in result["hits"]] == ["twin-a", "twin-b", "twin-c"], sort
    finally:
        engine.close()


# -- similar articles -------------------------------------------------------------------------------


def whooshs_similar(engine, slug: str, audience: str, limit: int) -> list[str]:
    """Whoosh's more_like over every match, ties by slug: what `Engine.similar` must give."""
    from helpers import whoosh_weighting
    from kb.engine import SIMILAR_TERMS

    docnum = engine.searcher.document_number(slug=slug)
    allowed = {int(d) for d in engine.audience_documents(audience).nonzero()[0]} - {docnum}
    with engine.ix.searcher(weighting=whoosh_weighting(engine.ranking)) as searcher:
        matches = searcher.more_like(docnum, "body", text=engine.text(docnum), top=None, numterms=SIMILAR_TERMS, filter=allowed)
    # Whoosh sums a document's term scores in another order: equal to ours to 1e-12, not to the bit.
    ranked = sorted(matches.top_n, key=lambda pair: (-round(pair[0], 9), engine.cards[pair[1]]["slug"]))
    return [engine.cards[docnum]["slug"] for _, docnum in ranked[:limit]]


def test_similar_articles_are_whooshs_more_like_this_with_ties_by_slug(articles_engine):
    """Over every article with the whole index's statistics, Whoosh's own (editors' view; the
    clinic has no drafts). Staff's and the public's use their own articles' statistics, the same
    as an index of those articles alone would give (tests/test_public_statistics.py): a mean of
    stored lengths, not Whoosh's exact one, so near ties may fall the other way there."""
    slugs = [card["slug"] for card in articles_engine.cards if card]
    assert len(slugs) > 20 and not articles_engine.draft_slugs
    for slug in slugs:
        ours = [hit["slug"] for hit in articles_engine.similar(slug, "editors", limit=6)]
        assert ours == whooshs_similar(articles_engine, slug, "editors", 6), slug
        assert slug not in ours


def test_key_terms_over_the_whole_index_are_whooshs(articles_engine):
    from kb.engine import SIMILAR_TERMS
    from kb.similar import key_terms

    for docnum in range(articles_engine.reader.doc_count_all()):
        text = articles_engine.text(docnum)
        whooshs = articles_engine.searcher.key_terms_from_text("body", text, numterms=SIMILAR_TERMS, normalize=False)
        assert key_terms(articles_engine.postings, "body", text, SIMILAR_TERMS) == whooshs


def test_similar_articles_leave_out_the_excluded_and_what_the_audience_may_not_see(articles_engine):
    staff_only = {card["slug"] for card in articles_engine.cards if card and card["audience"] == "staff"}
    for slug in ["cost-of-microneedling", "does-microneedling-hurt"]:
        everything = [hit["slug"] for hit in articles_engine.similar(slug, "staff", limit=50)]
        public = [hit["slug"] for hit in articles_engine.similar(slug, "public", limit=50)]
        # The public's key words are chosen over public articles alone, so they may find others.
        assert public and not staff_only & set(public) and staff_only & set(everything)
        excluded = everything[:2]
        assert [hit["slug"] for hit in articles_engine.similar(slug, "staff", limit=50, exclude=excluded)] == everything[2:]


def test_query_clauses_are_kept_within_their_bound_and_search_the_same(engine):
    from kb.engine import CLAUSES_KEPT

    first = engine.search(parse_request({"q": ["microneedling cost"]}, engine.taxonomy))
    assert engine.text_query("microneedling cost") == engine.text_query("cost microneedling")[::-1]
    assert engine.text_query("cost")[0] is engine.text_query("the cost")[-1]  # kept, not made again
    assert engine._clause.cache_info().maxsize == CLAUSES_KEPT
    engine._clause.cache_clear()
    again = engine.search(parse_request({"q": ["microneedling cost"]}, engine.taxonomy))
    assert [hit["slug"] for hit in again["hits"]] == [hit["slug"] for hit in first["hits"]]
    assert [hit["score"] for hit in again["hits"]] == [hit["score"] for hit in first["hits"]]


# -- honest answers: unmatched words, answers counted, search ids, the English dictionary -----------


def test_staff_only_words_are_unmatched_for_the_public_only(engine):
    public = engine.search(parse_request({"q": ["zanzibar cost"]}, engine.taxonomy), "public")
    staff = engine.search(parse_request({"q": ["zanzibar cost"]}, engine.taxonomy), "staff")
    assert public["unmatched"] == ["zanzibar"] and staff["unmatched"] == []
    assert "staff-screening" not in [hit["slug"] for hit in public["hits"]]


def test_a_query_whose_every_meaningful_word_is_unknown_finds_nothing(engine):
    result = engine.search(parse_request({"q": ["what about qwertyuiop"]}, engine.taxonomy))
    assert result["total"] == 0 and result["hits"] == [] and result["unmatched"] == ["qwertyuiop"]
    assert all(count["count"] == 0 for counts in result["facets"].values() for count in counts)


def test_an_article_counts_only_with_enough_of_the_querys_weight(articles_engine):
    """A common word alone does not make an answer: 'microneedling' is in every clinic article."""
    engine = articles_engine
    common = engine.search(parse_request({"q": ["microneedling"]}, engine.taxonomy))
    both = engine.search(parse_request({"q": ["microneedling ice pick"], "per_page": ["50"]}, engine.taxonomy))
    assert 0 < both["total"] < common["total"]
    assert all("ice-pick" in hit["facets"]["scar_type"] or "ice pick" in hit["snippet"].lower() for hit in both["hits"])
    assert sum(c["count"] for c in both["facets"]["procedure"]) >= both["total"] > 0


@contextlib.contextmanager
def engine_over(folder, texts: dict[str, str], staff_only: tuple[str, ...] = ()):
    """An engine over articles made of one line each (slug -> text), with the fixtures' taxonomy."""
    from conftest import FIXTURES, build
    from kb.engine import Engine
    from kb.index import IndexStore

    articles = folder / "articles"
    articles.mkdir()
    (articles / "taxonomy.yaml").write_text((FIXTURES / "taxonomy.yaml").read_text())
    for number, (slug, text) in enumerate(texts.items()):
        audience = "audience: staff\n" if slug in staff_only else ""
        (articles / f"{slug}.md").write_text(f"---\ntitle: Note {number}\nsummary: {text}\n{audience}---\n{text}\n")
    build(articles, folder / "index")
    store = IndexStore(folder / "index")
    engine = Engine(store, store.current_name())
    try:
        yield engine
    finally:
        engine.close()


def test_a_word_one_article_happens_to_use_does_not_outweigh_the_subject_the_others_share(tmp_path):
    """One article of a hundred says "veggies"; forty say "cancer". With bare idf weights the
    rare word carried more than four fifths of "veggies cancer", and only its one article counted;
    damped, the cancer articles count too, and the article with both words comes first."""
    texts = {"veggies-and-cancer": "Veggies eaten daily and cancer rates in one cohort."}
    texts |= {f"cancer-study-{n}": f"Cancer incidence in cohort number {n}." for n in range(40)}
    texts |= {f"diet-note-{n}": f"Notes on fibre intake, entry {n}." for n in range(59)}
    with engine_over(tmp_path, texts) as engine:
        result = ask(engine, q="veggies vs. cancer", per_page=50)
        assert result["total"] == 41 and slugs(result)[0] == "veggies-and-cancer"
        assert ask(engine, q="fibre cancer")["total"] == 100  # two words of like weight: either answers


RELATED_TEXTS = {
    "shellfish": "Amnesic shellfish poisoning after mussels.",
    "fasting": "Starvation and fasting compared.",
    "apigenin": "Apigenin in parsley and celery.",
    "sterile": "Sterile needles only.",
    # Made-up words, so that only the bounds, not the common words, keep them apart.
    "zorblax": "Zorblax readings.",
    "quaxim": "Quaxim readings.",
    "staff-note": "Anaemic patients are screened before treatment.",
}


@pytest.mark.parametrize("query, found, marked", [
    ("amnesia", ["shellfish"], "Amnesic"),  # amnesia / amnes(ic): the stem extends the article's by two letters
    ("starving", ["fasting"], "Starvation"),  # starv / starvat(ion): the article's extends the query's
    ("apigen", ["apigenin"], "Apigenin"),
])
def test_a_word_no_article_has_finds_the_articles_with_its_related_forms(tmp_path, query, found, marked):
    with engine_over(tmp_path, RELATED_TEXTS, staff_only=("staff-note",)) as engine:
        result = ask(engine, q=query)
        assert (slugs(result), result["unmatched"], result["corrected"]) == (found, [], None)
        assert f"<mark>{marked}</mark>" in result["hits"][0]["snippet"]


@pytest.mark.parametrize("query", [
    "zorblin",  # zorblax: five letters alike, but neither stem extends the other
    "quaximolo",  # quaxim: three letters more
    "peeling",  # peel: a four-letter root
])
def test_words_that_only_begin_alike_are_not_related_forms(tmp_path, query):
    with engine_over(tmp_path, RELATED_TEXTS, staff_only=("staff-note",)) as engine:
        result = ask(engine, q=query)
        assert (result["total"], result["unmatched"]) == (0, [query])


def test_a_word_whose_related_form_the_query_already_has_is_not_counted_twice(tmp_path):
    """"sterilise" is related to "sterile": asked together, the article is found once, as for "sterile"."""
    with engine_over(tmp_path, RELATED_TEXTS, staff_only=("staff-note",)) as engine:
        both, alone = ask(engine, q="sterilise sterile needles"), ask(engine, q="sterile needles")
        assert (slugs(both), both["unmatched"]) == (slugs(alone), []) == (["sterile"], [])
        assert both["hits"][0]["score"] == alone["hits"][0]["score"]


@pytest.mark.parametrize("query", ["shoulder", "pressure", "placebo", "treaty", "candida", "population"])
def test_common_words_never_stand_in_for_each_other(articles_engine, query):
    """should/shoulder, press/pressure, place/placebo, treat/treaty, candidate/candida,
    popular/population share a root by chance: a patient asking about any of them hears that no
    clinic article mentions it."""
    result = ask(articles_engine, q=query)
    assert (result["total"], result["unmatched"]) == (0, [query])


def test_a_rare_word_finds_its_relatives_in_the_clinic_articles(articles_engine):
    result = ask(articles_engine, q="atrophy")
    assert result["unmatched"] == [] and result["total"] > 0
    assert "<mark>atrophic</mark>" in " ".join(hit["snippet"].lower() for hit in result["hits"])


def test_a_related_form_only_staff_articles_have_leaves_the_word_unmatched_for_the_public(tmp_path):
    with engine_over(tmp_path, RELATED_TEXTS, staff_only=("staff-note",)) as engine:
        public, staff = ask(engine, q="anaemia"), ask(engine, "staff", q="anaemia")
        assert (public["total"], public["unmatched"]) == (0, ["anaemia"])
        assert (slugs(staff), staff["unmatched"]) == (["staff-note"], [])


def test_the_search_id_names_the_search_not_the_asker(engine):
    def search_id(q, audience="public", **params):
        request = parse_request({"q": [q], **{k: [v] for k, v in params.items()}}, engine.taxonomy)
        return engine.search(request, audience)["search_id"]

    first = search_id("Microneedling  cost")
    assert re.fullmatch(r"[0-9a-f]{16}", first)
    assert first == search_id("microneedling cost")
    # Every page of one question is one search: a click on page 2 counts for it.
    assert search_id("microneedling cost", page="2", per_page="1") == first
    assert len({first, search_id("microneedling cost", "staff"), search_id("microneedling cost", sort="title")}) == 3


def test_the_search_id_is_keyed_so_only_the_service_can_tell_its_query():
    request = SearchRequest(q="eczema")
    one, other = (search_id(key, "v1", "public", request) for key in (b"a" * 32, b"b" * 32))
    assert one != other
    assert one == search_id(b"a" * 32, "v1", "public", request)


def test_english_words_are_never_corrected_and_typos_are(engine):
    assert engine.search(parse_request({"q": ["scabs"]}, engine.taxonomy))["corrected"] is None
    assert engine.search(parse_request({"q": ["microneedlign"]}, engine.taxonomy))["corrected"] == "microneedling"


def test_a_missing_dictionary_is_one_message_naming_the_file(monkeypatch):
    from kb import dictionary
    from kb.errors import ConfigError

    monkeypatch.setattr(dictionary, "FILE", "no_such_dictionary.txt")
    dictionary.forget()
    try:
        with pytest.raises(ConfigError, match="symspellpy/no_such_dictionary.txt"):
            dictionary.english_words()
    finally:
        monkeypatch.undo()
        dictionary.forget()
    assert "wear" in dictionary.english_words() and "microneedlign" not in dictionary.english_words()


def test_the_api_answers_503_naming_the_dictionary_when_it_is_missing(app, client, monkeypatch):
    from kb import dictionary

    monkeypatch.setattr(dictionary, "FILE", "no_such_dictionary.txt")
    dictionary.forget()
    try:
        answer = client.get("/api/v1/search?q=cost")
        assert answer.status_code == 503
        assert "no_such_dictionary.txt" in answer.get_json()["error"]["message"]
    finally:
        monkeypatch.undo()
        dictionary.forget()
