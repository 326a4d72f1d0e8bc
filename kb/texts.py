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
            if file.is_real:
                # mmap duplicates the descriptor: the map lives until `close()`, whatever Whoosh does.
                memory = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
                self._maps.append(memory)
                read = _slicer(memory)
            else:
                read = file.get
            self._segments.append((read, values._basepos, values._offsets, values._lengths))

    def __getitem__(self, docnum: int) -> bytes:
        segment = bisect_right(self._starts, docnum) - 1
        read, base, offsets, lengths = self._segments[segment]
        local = docnum - self._starts[segment]
        return read(base + offsets[local], lengths[local])

    def close(self) -> None:
        for memory in self._maps:
            memory.close()


def _slicer(memory: mmap.mmap):
    def read(start: int, length: int) -> bytes:
        return memory[start : start + length]

    return read
