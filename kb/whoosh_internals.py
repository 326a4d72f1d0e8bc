"""Every read of Whoosh's private internals, in one place, written against Whoosh 2.7.4 exactly.

The NumPy scorer (kb/scoring.py) needs every posting of a query word, and snippets need each
hit's text and term spans. Whoosh's public API gives them one posting or one value per Python
call; its private reader attributes give them a block at a time. setup.cfg pins the exact
Whoosh release this was written against, and tests/test_whoosh_internals.py fails, naming
the attribute, if a release changes them. Where a reader is not of the expected kind the
public API is used instead, so a mismatch costs speed, never a wrong answer.
"""
from __future__ import annotations

import mmap
from bisect import bisect_right
from typing import Sequence

import whoosh
from whoosh.codec.whoosh3 import W3Codec, W3LeafMatcher
from whoosh.columns import MultiColumnReader, TranslatingColumnReader, VarBytesColumn

#: The Whoosh release these reads were written against (also pinned in setup.cfg).
WHOOSH_VERSION = (2, 7, 4)
#: The private names read here, by class: the test checks that each still exists.
PRIVATE_NAMES = {
    W3LeafMatcher: ("_read_ids", "_read_weights", "_ids", "_weights", "_next_block"),
    MultiColumnReader: ("_readers", "_doc_offsets"),
    VarBytesColumn.Reader: ("_dbfile", "_basepos", "_offsets", "_lengths"),
}


def installed_version() -> tuple[int, ...]:
    return tuple(whoosh.__version__[:3])


def read_postings(matcher) -> tuple[Sequence[int], Sequence[float]]:
    """All (document, frequency) pairs of one segment's postings for a term.

    Whoosh's own posting blocks (128 postings, already decoded into arrays) are taken a block
    at a time; any other matcher, such as the filter that hides deleted documents or the list
    of a term inlined in the term table, one posting at a time through the public API.
    """
    ids: list[int] = []
    weights: list[float] = []
    if type(matcher) is W3LeafMatcher:
        while matcher.is_active():
            matcher._read_ids()
            matcher._read_weights()
            ids.extend(matcher._ids)
            weights.extend(matcher._weights)
            matcher._next_block()
        return ids, weights
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        matcher.next()
    return ids, weights


class ColumnBytes:
    """The raw bytes of one VarBytesColumn by document number, sliced out of memory maps of
    the segments' column files, for as long as the reader is open.

    Whoosh's own reader seeks and reads a shared buffered file for every value, which is
    slower and not safe to share between threads; the offsets and lengths it has already
    loaded say where each value is. A segment Whoosh keeps in a compound file is read
    through Whoosh's own file object, which is already a map.
    """

    def __init__(self, column_reader):
        if isinstance(column_reader, MultiColumnReader):
            readers, self._starts = column_reader._readers, list(column_reader._doc_offsets)
        else:
            readers, self._starts = [column_reader], [0]
        self._segments = []
        self._maps: list[mmap.mmap] = []
        for reader in readers:
            values = reader.raw_column() if isinstance(reader, TranslatingColumnReader) else reader
            if not isinstance(values, VarBytesColumn.Reader):
                raise TypeError(f"expected a VarBytesColumn, found {type(values).__name__}")
            file = values._dbfile
            memory = None
            if file.is_real:
                # mmap duplicates the descriptor: the map lives until `close()`, whatever Whoosh does.
                memory = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
                self._maps.append(memory)
            self._segments.append((memory, file.get, values._basepos, values._offsets, values._lengths))
        self._several = len(self._segments) > 1

    def __getitem__(self, docnum: int) -> bytes:
        segment = bisect_right(self._starts, docnum) - 1 if self._several else 0
        memory, read, base, offsets, lengths = self._segments[segment]
        local = docnum - self._starts[segment]
        start = base + offsets[local]
        if memory is not None:
            return memory[start : start + lengths[local]]
        return read(start, lengths[local])

    def close(self) -> None:
        for memory in self._maps:
            memory.close()


def lean_codec() -> W3Codec:
    """Whoosh's codec without per-block length statistics (`length_stats`, a class attribute
    its writer reads).

    With them, writing each posting looks up its document's field length to record the
    shortest and longest document of every block. Only Whoosh's block-skipping scorer reads
    them, as a bound on a block's best score; kb scores with NumPy and never skips blocks.
    """
    codec = W3Codec()
    codec.length_stats = False
    return codec
