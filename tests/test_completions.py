"""Completions by binary search give what scanning every word, title and facet phrase gives."""
import heapq
import random

import pytest
from whoosh.lang import stemmer_for_language

from kb.completions import SUGGEST_LIMIT, TERMS_OFFERED, Completions


def scanned(words, titles, facets, prefix, stem=lambda word: word):
    """The plain definition: every word, title and facet phrase visited in order."""
    folded = " ".join(prefix.casefold().split())
    if not folded:
        return []
    head, _, last = folded.rpartition(" ")
    lead = f"{head} " if head else ""
    known = sorted(w for w in words if len(w) >= 3)
    suggestions = []
    if last:
        starting = [w for w in known if w.startswith(last)]
        best = heapq.nlargest(TERMS_OFFERED, starting, key=lambda w: words[w])  # ties: alphabetical, as nlargest is stable
        suggestions += [{"text": lead + w, "kind": "term"} for w in best if w != last and stem(w) != stem(last)]
    for folded_title, title, slug in sorted((t.casefold(), t, s) for t, s in titles):
        if len(suggestions) >= SUGGEST_LIMIT - 1:
            break
        if folded_title.startswith(folded) or f" {folded}" in f" {folded_title}":
            suggestions.append({"text": title, "kind": "title", "slug": slug})
    seen = set()
    for phrase, label, key, value in sorted((p.casefold(), label, k, v) for p, label, k, v in facets):
        if len(suggestions) >= SUGGEST_LIMIT:
            break
        if (phrase.startswith(folded) or f" {folded}" in f" {phrase}") and (key, value) not in seen:
            seen.add((key, value))
            suggestions.append({"text": label, "kind": "facet", "facet": key, "value": value})
    return suggestions[:SUGGEST_LIMIT]


SYLLABLES = ["ac", "ne", "scar", "mi", "cro", "need", "ling", "peel", "ice", "and", "re", "co", "very", "cost", "laser", "a", "ro", "ll"]


def invented(rng, syllables=3):
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, syllables)))


@pytest.fixture(scope="module")
def many():
    """Enough titles and words that short prefixes cover far more than REMEMBERED_RANGE keys."""
    rng = random.Random(7)
    words = {invented(rng, 4): rng.randint(1, 5) for _ in range(6000)}  # few counts: many ties
    titles = [(" ".join(invented(rng).capitalize() if i == 0 else invented(rng) for i in range(rng.randint(1, 7))), f"a-{n}") for n in range(3000)]
    facets = [("Rolling scars", "Rolling scars", "scar_type", "rolling"), ("ice pick", "Ice pick scars", "scar_type", "ice-pick"), ("Ice pick scars", "Ice pick scars", "scar_type", "ice-pick")]
    # Values with several phrases (a label and synonyms) that share words: offered once each, in phrase order.
    for n in range(80):
        label = " ".join(invented(rng).capitalize() for _ in range(rng.randint(1, 3)))
        facets += [(phrase, label, rng.choice(["procedure", "topic"]), f"v-{n}") for phrase in {label, *(invented(rng) + " " + invented(rng) for _ in range(rng.randint(0, 3)))}]
    return words, titles, facets


@pytest.mark.slow
def test_binary_search_finds_what_a_scan_finds(many):
    words, titles, facets = many
    completions = Completions(words, titles, facets)
    rng = random.Random(8)
    prefixes = ["a", "s", "ac", "ice", "ice p", "  Ice   P", "rolling s", "zz", "scar ", "a a", "é", "a\U0010ffff"]
    prefixes += [phrase[: rng.randint(1, len(phrase))] for phrase, _, _, _ in rng.sample(facets, 60)]
    prefixes += [title[: rng.randint(1, len(title))] for title, _ in rng.sample(titles, 300)]
    prefixes += [" ".join(title.split()[rng.randint(0, len(title.split()) - 1):])[:rng.randint(1, 12)] for title, _ in rng.sample(titles, 300)]
    prefixes += [word[: rng.randint(1, len(word))] for word in rng.sample(sorted(words), 300)]
    for prefix in prefixes:
        expected = scanned(words, titles, facets, prefix)
        assert completions.suggest(prefix) == expected, prefix
        assert completions.suggest(prefix) == expected, prefix  # again: from what was remembered
    # Short prefixes covered more than REMEMBERED_RANGE keys, so both ways of answering were checked.
    assert completions._word_index._remembered and completions._title_index._remembered


def test_the_clinic_articles_complete_as_a_scan_does(articles_engine):
    for audience in ("public", "staff"):
        completions = articles_engine.completions(audience)
        words = articles_engine.word_counts(audience)
        titles = [(card["title"], card["slug"]) for card, allowed in zip(articles_engine.cards, articles_engine.audience_documents(audience)) if allowed]
        facets = [(phrase, label, key, value) for phrase, label, key, value in completions._facets]
        for prefix in ["m", "mi", "micro", "microneedling c", "scar", "ice", "does it h", "cost of", "side eff", "x", "rolling"]:
            expected = scanned(words, titles, facets, prefix, stemmer_for_language("en"))
            assert completions.suggest(prefix) == expected, (audience, prefix)


def test_a_finished_word_is_never_inflected(articles_engine):
    """'how much does microneedling cost' is not offered 'how much does microneedling costs'."""
    finished = articles_engine.suggest("how much does microneedling cost")
    assert "how much does microneedling costs" not in [item["text"] for item in finished]
    typing = [item["text"] for item in articles_engine.suggest("how much does microneedling cos") if item["kind"] == "term"]
    assert "how much does microneedling cost" in typing
    assert "microneedling" in [item["text"] for item in articles_engine.suggest("micronee")]
