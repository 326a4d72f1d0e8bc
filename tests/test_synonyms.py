"""Synonym phrases that do not misfire, one test per risky phrase, run over the articles' own text.

Each phrase below has another meaning in ordinary questions or in the articles themselves
("How much time off", "redness lasting a day", "new collagen fibres", "points to raise"). The
test finds the phrase in the clinic's articles (so it is about real text) and checks what the
search makes of it there: which synonym group's term, if any.
"""
from __future__ import annotations

import re

import pytest

from conftest import PROJECT
from kb.analysis import QueryAnalyzer, text_analyzer
from kb.folder import load_folder
from kb.taxonomy import load_taxonomy

TAXONOMY = load_taxonomy(PROJECT / "articles" / "taxonomy.yaml")
ARTICLES = load_folder(PROJECT / "articles", TAXONOMY).articles
ANALYZE = QueryAnalyzer(text_analyzer(TAXONOMY))
GROUP_TERMS = {group.canonical for group in TAXONOMY.synonym_groups()}

#: phrase as the articles write it -> (the group term it must make, or None: no group; the sense)
RISKY = {
    "how much time off": (None, "time off, not money (the cost group had 'how much')"),
    "how much you feel": (None, "pain felt, not money"),
    "lasting": (None, "redness lasting a day or two, not permanent results"),
    "raise": (None, "points to raise at a consultation, not raised (hypertrophic) scars"),
    "raising": (None, "raising cell turnover, not raised scars"),
    "fibres": (None, "collagen fibres, not dietary fibre"),
    "age": (None, "any age, not the elderly"),
    "depressions": ("atrophic", "broad depressions in the skin: atrophic scars, not low mood"),
    "depressed scars": ("atrophic", "the scar shape"),
    "chemical peels": ("chemicalpeel", "the procedure"),
    "peeling": (None, "peeling skin is not a chemical peel"),
    "darker skin": ("skintone", "skin tone"),
    "numbing cream": ("numbingcream", "the anaesthetic cream"),
}


def article_text(article) -> str:
    return f"{article.title}\n{article.summary}\n{article.text}".lower()


@pytest.mark.parametrize("phrase", sorted(RISKY))
def test_a_risky_phrase_means_what_the_articles_mean_by_it(phrase):
    expected, sense = RISKY[phrase]
    using = [a.slug for a in ARTICLES if re.search(rf"\b{re.escape(phrase)}\b", article_text(a))]
    if phrase != "peeling":  # no article mentions peeling skin: the phrase comes from patients' questions
        assert using, f"no article uses '{phrase}': the case checks nothing"
    group_terms = [term for term in ANALYZE(phrase) if term in GROUP_TERMS]
    if expected is None:
        assert group_terms == [], f"'{phrase}' ({sense}) is taken as {group_terms} in {using}"
    else:
        assert group_terms == [expected], f"'{phrase}' ({sense}) is taken as {group_terms}"


def test_the_groups_still_find_what_patients_type():
    for typed, term in [("how much does it cost", "cost"), ("raised scars", "hypertrophic"), ("long lasting", "longlasting"),
                        ("price", "cost"), ("dietary fibre", "dietaryfiber"), ("peels", "chemicalpeel"),
                        ("how soon can i go back to work", "downtime")]:
        assert term in ANALYZE(typed), (typed, ANALYZE(typed))
