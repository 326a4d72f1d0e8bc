"""Texts read through memory maps are Whoosh's column values, on one segment and on several."""
from __future__ import annotations

import pytest

from conftest import build
from helpers import add_segment
from kb.index import IndexStore
from kb.search import Engine
from kb.taxonomy import load_taxonomy
from kb.texts import Texts


def assert_every_text_is_whooshs(engine: Engine) -> None:
    column = engine.reader.column_reader("text")
    assert engine.reader.doc_count_all() > 3
    for docnum in range(engine.reader.doc_count_all()):
        assert engine._texts[docnum] == column[docnum]


def test_one_segment(engine):
    assert len(list(engine.reader.leaf_readers())) == 1
    assert_every_text_is_whooshs(engine)


def test_several_segments_with_a_replaced_document(articles_copy, tmp_path):
    """An update written without merging adds a segment; the replaced text stays in the old one, deleted."""
    build(articles_copy, tmp_path / "index")
    store = IndexStore(tmp_path / "index")
    taxonomy = load_taxonomy(articles_copy / "taxonomy.yaml")
    for path in sorted(articles_copy.glob("*.md"))[:2]:
        path.write_text(path.read_text() + "\nAn added closing line.\n")
        add_segment(store, taxonomy, path)
    engine = Engine(store, store.current_name())
    try:
        assert len(list(engine.reader.leaf_readers())) == 3 and engine.reader.has_deletions()
        assert_every_text_is_whooshs(engine)
        last = engine.reader.doc_count_all() - 1
        assert engine.text(last).endswith("An added closing line.")
    finally:
        engine.close()


def test_a_closed_reader_answers_nothing(articles_copy, tmp_path):
    build(articles_copy, tmp_path / "index")
    store = IndexStore(tmp_path / "index")
    engine = Engine(store, store.current_name())
    engine.close()
    with pytest.raises(ValueError):
        engine._texts[0]


def test_only_a_bytes_column_is_read(engine):
    with pytest.raises(TypeError, match="VarBytesColumn"):
        Texts(engine.reader.column_reader("updated_days"))
