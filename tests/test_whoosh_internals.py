"""kb/whoosh_internals.py reads private parts of Whoosh: the pinned release, every name it reads, and
the same answers as Whoosh's public API, on one segment and on several."""
from __future__ import annotations

import configparser

import pytest

from conftest import PROJECT, build
from helpers import add_segment
from kb import whoosh_internals
from kb.engine import Engine
from kb.index import IndexStore
from kb.taxonomy import load_taxonomy
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.columns import MultiColumnReader, TranslatingColumnReader

from kb.whoosh_internals import PRIVATE_NAMES, WHOOSH_VERSION, ColumnBytes, read_postings


def test_the_installed_whoosh_is_the_release_the_internals_were_written_for():
    installed = whoosh_internals.installed_version()
    assert installed == WHOOSH_VERSION, (
        f"Whoosh {installed} is installed; kb/whoosh_internals.py reads private attributes of Whoosh "
        f"{WHOOSH_VERSION}. Check each read against the new release before changing the pin."
    )
    config = configparser.ConfigParser()
    config.read(PROJECT / "setup.cfg")
    pinned = "Whoosh==" + ".".join(map(str, WHOOSH_VERSION))
    assert pinned in config["options"]["install_requires"].split(), f"setup.cfg must pin {pinned}"


@pytest.mark.parametrize("owner", list(PRIVATE_NAMES), ids=lambda owner: owner.__name__)
def test_every_private_name_read_still_exists(engine, owner):
    """Attributes set in __init__ are looked for on a live instance: a matcher, a column reader."""
    instances = {
        "W3LeafMatcher": lambda: _leaf_matcher(engine),
        "MultiColumnReader": lambda: _multi_column_reader(engine),
        "Reader": lambda: _raw(_first_leaf(engine).column_reader("text")),
    }
    instance = instances[owner.__name__]()
    assert isinstance(instance, owner), f"expected a {owner.__name__}, Whoosh gave a {type(instance).__name__}"
    for name in PRIVATE_NAMES[owner]:
        if name in ("_ids", "_weights"):
            instance._read_ids(), instance._read_weights()
        assert hasattr(instance, name), f"Whoosh's {owner.__name__} no longer has {name}: update kb/whoosh_internals.py"


def _first_leaf(engine):
    return next(iter(engine.reader.leaf_readers()))[0]


def _leaf_matcher(engine):
    leaf = _first_leaf(engine)
    common = max(leaf.field_terms("body"), key=lambda term: leaf.doc_frequency("body", term))
    return leaf.postings("body", common.encode() if isinstance(common, str) else common)


def _raw(reader):
    return reader.raw_column() if isinstance(reader, TranslatingColumnReader) else reader


def _multi_column_reader(engine):
    """What a reader of several segments gives (here: the one segment's column twice)."""
    column = _raw(_first_leaf(engine).column_reader("text"))
    return MultiColumnReader([column, column])


def _several_segments(articles_copy, tmp_path) -> Engine:
    """An update written without merging adds a segment; the replaced text stays in the old one, deleted."""
    build(articles_copy, tmp_path / "index")
    store = IndexStore(tmp_path / "index")
    taxonomy = load_taxonomy(articles_copy / "taxonomy.yaml")
    for path in sorted(articles_copy.glob("*.md"))[:2]:
        path.write_text(path.read_text() + "\nAn added closing line.\n")
        add_segment(store, taxonomy, path)
    engine = Engine(store, store.current_name())
    assert len(list(engine.reader.leaf_readers())) == 3 and engine.reader.has_deletions()
    return engine


def assert_postings_are_whooshs(engine: Engine) -> int:
    """Every term's postings in two fields as read_postings reads them and as Whoosh's matcher
    gives them one by one; returns how many were read a block at a time."""
    compared = by_block = 0
    for leaf, _ in engine.reader.leaf_readers():
        for fieldname in ("title", "body"):
            for term in leaf.field_terms(fieldname):
                btext = term.encode("utf-8")
                matcher = leaf.postings(fieldname, btext)
                by_block += type(matcher) is W3LeafMatcher
                ids, weights = read_postings(matcher)
                assert (list(ids), list(weights)) == _one_by_one(leaf.postings(fieldname, btext)), (fieldname, term)
                compared += len(ids)
    assert compared > 100
    return by_block


def _one_by_one(matcher) -> tuple[list[int], list[float]]:
    ids, weights = [], []
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        matcher.next()
    return ids, weights


def assert_every_text_is_whooshs(engine: Engine) -> None:
    column = engine.reader.column_reader("text")
    assert engine.reader.doc_count_all() > 3
    for docnum in range(engine.reader.doc_count_all()):
        assert engine._texts[docnum] == column[docnum]


def test_one_segment_reads_as_whoosh_reads_it(engine):
    assert len(list(engine.reader.leaf_readers())) == 1
    assert assert_postings_are_whooshs(engine) > 0  # the block path was taken
    assert_every_text_is_whooshs(engine)


def test_several_segments_with_a_replaced_document(articles_copy, tmp_path):
    engine = _several_segments(articles_copy, tmp_path)
    try:
        assert_postings_are_whooshs(engine)
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
        ColumnBytes(engine.reader.column_reader("updated_days"))
