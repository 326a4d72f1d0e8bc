"""The speller: fewest edits, then the most used word, then the alphabetically first; checked
against a plain dynamic-programming edit distance over every word of the clinic's articles."""
import random

import pytest

from kb.spelling import MAX_EDITS, Speller


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance, written the textbook way (insertions, deletions, substitutions)."""
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, start=1):
        previous, row[0] = row[0], i
        for j, y in enumerate(b, start=1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (x != y))
    return row[-1]


def reference_nearest(word, counts, also_known=()):
    known = {*counts, *also_known} - {word}
    scored = [(edit_distance(word, c), -counts.get(c, 0), c) for c in known if c[:1] == word[:1]]
    scored = [s for s in scored if s[0] <= MAX_EDITS]
    return min(scored)[2] if scored else None


def test_fewest_edits_win_over_more_common_words():
    speller = Speller({"scars": 1, "scares": 50})
    assert speller.nearest("scrs") == "scars"


def test_among_equals_the_most_used_word_wins_then_the_alphabetically_first():
    assert Speller({"laser": 3, "later": 9}).nearest("lamer") == "later"
    assert Speller({"laser": 3, "later": 3}).nearest("lamer") == "laser"


def test_the_first_letter_is_kept_and_more_than_two_edits_is_no_correction():
    speller = Speller({"acne": 10, "scarring": 5})
    assert speller.nearest("ecne") is None  # one edit, but of the first letter
    assert speller.nearest("scxxxxng") is None  # four edits
    assert speller.nearest("scaring") == "scarring"


def test_taxonomy_words_are_known_without_counts_and_the_word_itself_is_never_offered():
    assert Speller({"peel": 4}, also_known=["boxcar"]).nearest("boxcat") == "boxcar"
    assert Speller({"peel": 4}).nearest("peel") is None


@pytest.fixture(scope="module")
def clinic_words(articles_engine):
    """The public words (with counts) and the taxonomy's words of the clinic's own articles."""
    return dict(articles_engine.word_counts("public")), set(articles_engine.taxonomy.vocabulary())


def test_same_answers_as_a_plain_edit_distance_on_the_clinic_vocabulary(clinic_words):
    counts, vocabulary = clinic_words
    speller = Speller(counts, vocabulary)
    rng = random.Random(7)
    known = sorted({*counts, *vocabulary})
    misspelt = []
    for word in rng.sample(known, 300):
        letters = list(word)
        for _ in range(rng.randint(1, 3)):
            position = rng.randrange(1, len(letters) + 1)
            edit = rng.choice("isd")
            if edit == "i":
                letters.insert(position, rng.choice("abcdefghijklmnopqrstuvwxyz"))
            elif position < len(letters):
                letters[position:position + 1] = [] if edit == "d" else [rng.choice("aeiou")]
        misspelt.append("".join(letters))
    answers = [(word, speller.nearest(word), reference_nearest(word, counts, vocabulary)) for word in misspelt]
    assert [a for a in answers if a[1] != a[2]] == []
    assert sum(1 for _, ours, _ in answers if ours is not None) > 200  # the check compared real corrections
