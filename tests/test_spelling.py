"""The speller: fewest typos (as many as the word's length allows; a swap in four letters), then
the most used word, then the alphabetically first; checked against a plain dynamic-programming
distance over every word of the clinic's articles."""
import random

import pytest

from kb.spelling import Speller, typos_allowed


def typos(a: str, b: str) -> int:
    """Optimal string alignment distance, written the textbook way: insertions, deletions,
    substitutions, and a swap of two neighbouring letters, each one typo."""
    d = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[-1][-1]


def reference_nearest(word, counts, also_known=()):
    known = {*counts, *also_known} - {word}
    scored = [(typos(word, c), -counts.get(c, 0), c) for c in known if c[:1] == word[:1]]
    scored = [s for s in scored if s[0] <= typos_allowed(word) or (len(word) == 4 and s[0] == 1 and sorted(s[2]) == sorted(word))]
    return min(scored)[2] if scored else None


def test_fewest_typos_win_over_more_common_words():
    speller = Speller({"microneedling": 1, "microneedlings": 50})
    assert speller.nearest("microneedlin") == "microneedling"  # one typo, against two for the commoner word


def test_among_equals_the_most_used_word_wins_then_the_alphabetically_first():
    assert Speller({"laser": 3, "later": 9}).nearest("lamer") == "later"
    assert Speller({"laser": 3, "later": 3}).nearest("lamer") == "laser"


def test_the_first_letter_is_kept():
    speller = Speller({"acnes": 10, "scarring": 5})
    assert speller.nearest("ecnes") is None  # one typo, but of the first letter
    assert speller.nearest("scaring") == "scarring"


@pytest.mark.parametrize("word, known, nearest", [
    ("scrs", "scars", None),  # under five letters: no typo but a swap
    ("lasr", "laser", None),
    ("alli", "all", None),
    ("acen", "acne", "acne"),  # four letters: one swap of neighbours
    ("sacr", "scar", "scar"),
    ("csar", "scar", None),  # a swap, but of the first letter
    ("laserr", "laser", "laser"),  # five to eight letters: one typo
    ("aftre", "after", "after"),  # a swap of neighbours is one typo
    ("differin", "differ", None),  # two typos at eight letters: a retinoid, not a verb
    ("ativan", "asian", None),
    ("numbbing", "numbing", "numbing"),
    ("microneedlign", "microneedling", "microneedling"),
    ("microneedlgn", "microneedling", "microneedling"),  # nine letters and more: two typos
    ("hypertrofik", "hypertrophic", None),  # three
])
def test_a_word_may_hold_more_typos_the_longer_it_is(word, known, nearest):
    assert Speller({known: 1}).nearest(word) == nearest


def test_taxonomy_words_are_known_without_counts_and_the_word_itself_is_never_offered():
    assert Speller({"peel": 4}, also_known=["boxcar"]).nearest("boxcat") == "boxcar"
    assert Speller({"peel": 4}).nearest("peel") is None


@pytest.fixture(scope="module")
def clinic_words(articles_engine):
    """The public words (with counts) and the taxonomy's words of the clinic's own articles."""
    return dict(articles_engine.word_counts("public")), set(articles_engine.taxonomy.vocabulary())


def test_same_answers_as_a_plain_distance_on_the_clinic_vocabulary(clinic_words):
    counts, vocabulary = clinic_words
    speller = Speller(counts, vocabulary)
    rng = random.Random(7)
    known = sorted({*counts, *vocabulary})
    misspelt = []
    for word in rng.sample(known, 300):
        letters = list(word)
        for _ in range(rng.randint(1, 3)):
            position = rng.randrange(1, len(letters) + 1)
            edit = rng.choice("isdt")
            if edit == "t" and position + 1 < len(letters):
                letters[position], letters[position + 1] = letters[position + 1], letters[position]
            elif edit == "i":
                letters.insert(position, rng.choice("abcdefghijklmnopqrstuvwxyz"))
            elif position < len(letters):
                letters[position:position + 1] = [] if edit == "d" else [rng.choice("aeiou")]
        misspelt.append("".join(letters))
    answers = [(word, speller.nearest(word), reference_nearest(word, counts, vocabulary)) for word in misspelt]
    assert [a for a in answers if a[1] != a[2]] == []
    assert sum(1 for _, ours, _ in answers if ours is not None) > 100  # the check compared real corrections
