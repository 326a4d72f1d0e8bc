"""The English words spelling correction leaves alone: symspellpy's bundled frequency dictionary.

A query word is corrected only when neither the asker's articles nor this dictionary know it:
"will", "wear" and "scabs" are English, whether or not an article uses them. The dictionary
holds the 82,834 most frequent words (the file is named for 82,765) of Google Books n-grams
that are also in SCOWL, most frequent first (MIT licence, shipped inside the symspellpy
package, 1.3 MB); it is read once per process. Its first COMMON_WORDS are the common words
that related forms never join (kb/related_forms.py).
"""
from __future__ import annotations

import functools
from importlib import resources

from kb.errors import ConfigError

PACKAGE, FILE = "symspellpy", "frequency_dictionary_en_82_765.txt"


#: How many of the most frequent words count as common (`common_english_words`).
COMMON_WORDS = 10_000


@functools.lru_cache(maxsize=1)
def _words_by_frequency() -> tuple[str, ...]:
    """The dictionary's words, lowercase, most frequent first (the file's order); ConfigError
    naming the file when it cannot be read."""
    try:
        path = resources.files(PACKAGE).joinpath(FILE)
        text = path.read_text(encoding="utf-8")
    except (ModuleNotFoundError, OSError) as exc:
        raise ConfigError(f"the English dictionary {PACKAGE}/{FILE} cannot be read ({exc}); reinstall kb with `pip install -e .`") from exc
    return tuple(line.split(" ", 1)[0] for line in text.splitlines() if line.strip())


@functools.lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """Every word of the dictionary."""
    return frozenset(_words_by_frequency())


def forget() -> None:
    """Read the file again on next use."""
    _words_by_frequency.cache_clear()
    english_words.cache_clear()
    common_english_words.cache_clear()


@functools.lru_cache(maxsize=1)
def common_english_words() -> frozenset[str]:
    """The COMMON_WORDS most frequent words ("place", "should", "pressure"): where unrelated
    words most often share a root."""
    return frozenset(_words_by_frequency()[:COMMON_WORDS])
