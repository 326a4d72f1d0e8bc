"""Per-document bytes read from the index's column files through memory maps: the article texts
(the `text` column), where each term stands in them (the `body` column) and their words (`words`).

Whoosh reads a column value with a seek and a read on the segment's buffered file: 6.6 us a
value here (66 us for a page of ten hits), and a seek-then-read on a file shared by threads
is a race. The values are where Whoosh's VarBytesColumn wrote them, and its reader has
already loaded their offsets and lengths: this maps each segment's column file once and
slices the value out (under a microsecond). A segment Whoosh keeps in one compound file is
already a map in Whoosh, and is read through it.
"""
from __future__ import annotations

import mmap
from bisect import bisect_right

from whoosh.columns import MultiColumnReader, TranslatingColumnReader, VarBytesColumn


class Texts:
    """The raw bytes of one column, by document number, for as long as the reader is open."""

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
        # Read for every hit shown, twice: no search for the segment where there is one, no call
        # through Whoosh where the file is mapped here.
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

