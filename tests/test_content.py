"""The clinic's own articles: complete, consistent, in our own words, and findable."""
import re

import pytest

from kb.folder import load_folder
from kb.taxonomy import FACET_KEYS, load_taxonomy
from conftest import PROJECT

ARTICLES = PROJECT / "articles"
SOURCES = PROJECT.parent / "shared" / "source-articles"


@pytest.fixture(scope="module")
def loaded():
    return load_folder(ARTICLES, load_taxonomy(ARTICLES / "taxonomy.yaml"))


@pytest.fixture(scope="module")
def public_text(loaded):
    text = " ".join(f"{a.title} {a.summary} {a.text}" for a in loaded.articles if a.audience == "public")
    return " ".join(text.split()).lower()


def test_every_article_passes_kb_check(loaded):
    assert [str(p) for p in loaded.problems] == []


def test_enough_public_and_staff_articles(loaded):
    audiences = [a.audience for a in loaded.articles]
    assert audiences.count("public") >= 18 and audiences.count("staff") >= 3


def test_every_facet_value_is_used(loaded):
    taxonomy = load_taxonomy(ARTICLES / "taxonomy.yaml")
    used = {(key, value) for a in loaded.articles for key in FACET_KEYS for value in a.facets[key]}
    unused = [(key, v) for key in FACET_KEYS for v in taxonomy.facet(key).slugs if (key, v) not in used]
    assert unused == []


def test_every_article_cites_existing_sources_and_related(loaded):
    slugs = {a.slug for a in loaded.articles}
    for article in loaded.articles:
        assert article.sources, article.slug
        assert all(re.fullmatch(r"00[0-4]_[0-9a-f]{16}\.txt", s) for s in article.sources), article.slug
        assert set(article.related) <= slugs
        assert article.updated is not None


#: Facts from the five source articles, each as a pattern some public article must state.
FACTS = [
    r"collagen induction therapy", r"micro-injur", r"collagen and elastin", r"wound-healing response|healing response",
    r"dermapen", r"motorised|motorized", r"vibrates", r"needle depth|how far the needles go", r"sterile", r"dermis",
    r"atrophic", r"hypertrophic|raised", r"ice pick", r"boxcar", r"rolling", r"fibrous bands|fibrous strands",
    r"two to three", r"four or five", r"three to six", r"four to six weeks apart",
    r"about four to six weeks before", r"after a few months",
    r"last for months", r"continues? .* after .* (final|last) session", r"numbing cream", r"tingling",
    r"little to no downtime", r"few hours", r"up to two days", r"bruising", r"infection", r"allergic",
    r"post-inflammatory hyperpigmentation", r"temporary and fades", r"cold sore", r"antiviral",
    r"mild to moderate", r"severe", r"clean skin|come without makeup", r"at least a week", r"sunscreen",
    r"drink plenty of water|hydrat", r"absorb", r"serums", r"all skin types", r"darker skin", r"\$150 to \$400",
    r"laser resurfacing", r"chemical peel", r"stretch marks", r"wrinkles", r"fine lines", r"cell turnover", r"circulation",
]


@pytest.mark.parametrize("fact", FACTS)
def test_source_fact_is_stated_in_a_public_article(public_text, fact):
    assert re.search(fact, public_text), fact


def test_at_least_forty_facts_are_checked():
    assert len(FACTS) >= 40


def eight_word_runs(text: str) -> set[str]:
    words = re.findall(r"[a-z0-9']+", text.lower())
    return {" ".join(words[i:i + 8]) for i in range(len(words) - 7)}


@pytest.mark.skipif(not SOURCES.is_dir(), reason="the source articles live in ../shared, beside a developer's checkout")
def test_no_article_repeats_eight_words_of_a_source():
    source_runs = set().union(*(eight_word_runs(p.read_text(encoding="utf-8", errors="replace")) for p in SOURCES.glob("*.txt")))
    copied = {p.name: sorted(eight_word_runs(p.read_text()) & source_runs) for p in ARTICLES.glob("*.md")}
    assert {name: runs for name, runs in copied.items() if runs} == {}
