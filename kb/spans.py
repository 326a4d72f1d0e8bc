"""Where each term of an article's text stands, recorded as the text is indexed and read back for snippets.

Snippets mark the words a search matched. Rather than scan each hit's text again for every
term, they read where the terms stand: the index's own
analysis of the text already knows every term's characters (the tokenizer's start and end,
a synonym phrase's canonical term spanning the phrase), so the body field keeps them in its
column as it indexes, in the same pass: a hit's spans for a term are then a lookup.

A document's spans, as one value of the column (native byte order; indexes are built where
they are read, and SCHEMA_VERSION guards the layout):

    uint16 values: n (terms), n + 1 starts (term i's spans are the pairs starts[i]..starts[i + 1]),
                   then the (start, end) character pairs, term by term, ascending
    then the directory: "\\n" + the terms joined by "\\n" + "\\n", UTF-8, padded with "\\n" to even length

A term is found with one `bytes.find` of "\\n" + term + "\\n" in the directory, its number by
counting the newlines before it. Only spans ending within the snippet's character limit are
kept (they are all snippets may show), so every offset fits 16 bits; a text crowded enough
to hold more than 65,535 of them keeps the first 65,535.
"""
from __future__ import annotations

import array
from collections import defaultdict
from typing import Iterable

from whoosh.columns import VarBytesColumn
from whoosh.fields import TEXT
from whoosh.formats import Frequency
from whoosh.system import pack_uint

#: Only this much of a text is searched for passages (Whoosh's highlighting default).
CHARLIMIT = 2**15
MOST_SPANS = 2**16 - 1
_NEWLINE = b"\n"


class SpannedText(TEXT):
    """A TEXT field (frequencies, no positions) whose column holds where each of its terms stands.

    Whoosh asks a field for its postings (`index`) and then, for the same value, for its column
    value (`to_column_value`): the spans found while indexing are kept for that second call,
    so the text is analyzed once. A value the field has not just indexed is analyzed again.
    """

    def __init__(self, analyzer, **options):
        super().__init__(analyzer=analyzer, phrase=False, **options)
        if not isinstance(self.format, Frequency):
            raise TypeError("SpannedText indexes frequencies only")
        self.column_type = VarBytesColumn()
        self._last: tuple[str, bytes] | None = None  # (value, its spans) from the last index()

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_last"] = None  # the schema is pickled into the index: never with a document's spans
        return state

    def index(self, value, **kwargs):
        """Whoosh's Frequency postings of `value`, (term, frequency, weight, encoded frequency)."""
        if not isinstance(value, str):
            raise ValueError(f"{value!r} is not a string")
        frequencies: dict[str, int] = defaultdict(int)
        weights: dict[str, float] = defaultdict(float)
        spans: dict[str, list[int]] = defaultdict(list)
        for token in self.analyzer(value, mode="index", chars=True, boosts=True, **kwargs):
            if token.stopped:
                continue
            frequencies[token.text] += 1
            weights[token.text] += token.boost
            if token.endchar <= CHARLIMIT:
                spans[token.text] += (token.startchar, token.endchar)
        self._last = (value, encode(spans))
        boost = self.format.field_boost
        return [(term.encode("utf-8"), frequency, weights[term] * boost, pack_uint(frequency)) for term, frequency in frequencies.items()]

    def to_column_value(self, value) -> bytes:
        last = self._last
        if last is None or last[0] is not value:
            list(self.index(value))
            last = self._last
        self._last = None
        return last[1]

    def from_column_value(self, value):
        return value


def encode(spans: dict[str, list[int]]) -> bytes:
    """A document's column value: for each term, its (start, end) pairs flattened in text order."""
    terms, starts, flat = [], [0], []
    for term, pairs in spans.items():
        room = 2 * MOST_SPANS - len(flat)
        if room <= 0:
            break
        terms.append(term)
        flat += pairs[:room]
        starts.append(len(flat) // 2)
    values = array.array("H", [len(terms), *starts, *flat])
    directory = (_NEWLINE + "\n".join(terms).encode("utf-8") + _NEWLINE) if terms else b""
    if len(directory) % 2:
        directory += _NEWLINE
    return values.tobytes() + directory


def term_keys(terms: Iterable[str]) -> list[bytes]:
    """What `spans` looks for: each term as its directory entry."""
    return [_NEWLINE + term.encode("utf-8") + _NEWLINE for term in terms]


def spans(value: bytes, keys: list[bytes]) -> list[tuple[int, int]]:
    """The (start, end) characters of the keys' terms in one document, unsorted; [] for an empty value."""
    if not value:
        return []
    values = memoryview(value).cast("H")
    count = values[0]
    base = count + 2  # where the pairs begin
    directory = 2 * (base + 2 * values[count + 1])
    found: list[tuple[int, int]] = []
    for key in keys:
        at = value.find(key, directory)
        if at >= 0:
            term = value.count(_NEWLINE, directory, at)
            pairs = iter(values[base + 2 * values[1 + term] : base + 2 * values[2 + term]].tolist())
            found += zip(pairs, pairs)  # (start, end) from each two values in turn
    return found
