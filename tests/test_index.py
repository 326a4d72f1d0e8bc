import hashlib
import os
from pathlib import Path
from collections import Counter

import pytest
from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import W3Codec

import kb.index
from benchmarks import clinic_corpus
from kb.analysis import spelling_analyzer
from kb.folder import load_folder
from kb.errors import IndexBusy
from kb.index import IndexStore, Manifest, SCHEMA_VERSION, update_index
from kb.articles import AUDIENCES
from kb.engine import Engine
from kb.parameters import parse_request
from kb.spans import spans, term_keys
from kb.taxonomy import load_taxonomy
from conftest import PROJECT, build


def file_digests(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir() if p.is_file()}


def text_of(searcher, slug):
    """An article's text as the index keeps it for snippets (a column, not a stored field)."""
    return searcher.reader().column_reader("text")[searcher.document_number(slug=slug)].decode("utf-8")


def doc_count(store):
    ix = whoosh_index.open_dir(str(store.current_path()))
    with ix.searcher() as searcher:
        return searcher.doc_count()


def test_full_build_publishes_a_complete_version(articles_copy, tmp_path):
    store = IndexStore(tmp_path / "index")
    report = build(articles_copy, store.root)
    assert (report.added, report.updated, report.removed, report.full) == (7, 0, 0, True)
    assert report.version == store.current_name() and report.version.startswith("v-")
    manifest = Manifest.read(store.current_path())
    assert manifest.schema == SCHEMA_VERSION and len(manifest.articles) == 7
    assert (store.current_path() / "taxonomy.yaml").exists()
    assert doc_count(store) == 7
    assert not list(store.root.glob("tmp-*"))
    # Non-compound segments (a compound file is copied into memory by every reader).
    assert not list(store.current_path().glob("*.seg"))


def test_unchanged_articles_make_no_new_version(articles_copy, tmp_path):
    store = IndexStore(tmp_path / "index")
    first = build(articles_copy, store.root).version
    report = build(articles_copy, store.root)
    assert report.version == first
    assert (report.added, report.updated, report.removed, report.unchanged) == (0, 0, 0, 7)


def test_incremental_update_adds_changes_and_removes(articles_copy, tmp_path):
    store = IndexStore(tmp_path / "index")
    build(articles_copy, store.root)
    old_folder = store.current_path()
    before = file_digests(old_folder)
    (articles_copy / "laser-comparison.md").unlink()
    cost = articles_copy / "microneedling-cost.md"
    cost.write_text(cost.read_text().replace("A course of", "A full course of"))
    new = articles_copy / "new-article.md"
    new.write_text("---\ntitle: Brand new\nsummary: Freshly added.\n---\nText about porcupines.\n")

    report = build(articles_copy, store.root)

    assert (report.added, report.updated, report.removed, report.full) == (1, 1, 1, False)
    assert store.current_path() != old_folder
    assert doc_count(store) == 7
    # The live version a reader may hold open was not touched (its files are hard-linked, never rewritten).
    assert file_digests(old_folder) == before
    ix = whoosh_index.open_dir(str(store.current_path()))
    with ix.searcher() as searcher:
        assert searcher.document(slug="new-article")["title"] == "Brand new"
        assert searcher.document(slug="laser-comparison") is None
        assert "full course" in text_of(searcher, "microneedling-cost")


def test_updates_and_merges_keep_every_documents_term_spans(articles_copy, tmp_path):
    """Snippets read where terms stand from the body's column: updated, added and merged documents keep theirs."""
    store = IndexStore(tmp_path / "index")
    build(articles_copy, store.root)
    for number in range(12):
        (articles_copy / f"new-{number}.md").write_text(f"---\ntitle: New {number}\nsummary: Added.\n---\nPorcupines {number}, acne scars.\n")
        build(articles_copy, store.root)
    ix = whoosh_index.open_dir(str(store.current_path()))
    segments = len(ix._segments())
    ix.close()
    assert segments < 13  # Whoosh merged some of the 13 commits' segments
    engine = Engine(store, store.current_name())
    try:
        checked = 0
        for docnum in range(engine.reader.doc_count_all()):
            if engine.reader.is_deleted(docnum):
                continue
            expected: dict[str, list[tuple[int, int]]] = {}
            for token in engine.analyzer(engine.text(docnum), mode="index", chars=True):
                expected.setdefault(token.text, []).append((token.startchar, token.endchar))
            assert {term: spans(engine._spans[docnum], term_keys([term])) for term in expected} == expected
            checked += 1
        assert checked == 19
        hits = engine.search(parse_request({"q": ["porcupines"], "per_page": ["20"]}, engine.taxonomy))["hits"]
        assert len(hits) == 12 and all("<mark>Porcupines</mark>" in hit["snippet"] for hit in hits)
    finally:
        engine.close()


def open_engine(index_dir) -> Engine:
    store = IndexStore(index_dir)
    return Engine(store, store.current_name())


def answers(engine: Engine, audience: str) -> list:
    """Every search, page of hits and list of similar articles the API would give for these words."""
    found = []
    for q in ["acne scars", "microneedling cost", "side effects of peels", "laser downtime", "staff dosing"]:
        result = engine.search(parse_request({"q": [q], "per_page": ["50"]}, engine.taxonomy), audience)
        found.append([(hit["slug"], hit["score"], hit["snippet"]) for hit in result["hits"]] + [result["facets"]])
    slugs = sorted(card["slug"] for card in engine.cards if card and (audience == "staff" or card["audience"] == "public"))
    return found + [engine.similar(slug, audience) for slug in slugs[:20]]


def test_postings_leave_out_block_length_bounds_and_answers_stay_the_same(tmp_path, monkeypatch):
    """Postings written without each block's shortest and longest document (lean_codec) give the
    same answers as Whoosh's own codec."""
    build(PROJECT / "articles", tmp_path / "ours")
    monkeypatch.setattr(kb.index, "lean_codec", W3Codec)
    build(PROJECT / "articles", tmp_path / "whooshs")
    ours, whooshs = open_engine(tmp_path / "ours"), open_engine(tmp_path / "whooshs")
    try:
        assert ours.reader.term_info("body", "scar").min_length() == 0 < whooshs.reader.term_info("body", "scar").min_length()
        for audience in AUDIENCES:
            assert answers(ours, audience) == answers(whooshs, audience)
    finally:
        ours.close()
        whooshs.close()


@pytest.mark.slow
def test_a_build_in_several_processes_answers_as_one_in_a_single_process(tmp_path, monkeypatch):
    """Large builds write a segment per process (Whoosh hands each 100 documents at a time)."""
    articles = clinic_corpus.generate(tmp_path / "articles", 150)
    build(articles, tmp_path / "single")
    monkeypatch.setattr(kb.index, "PARALLEL_BUILD_MINIMUM", 1)
    monkeypatch.setattr(kb.index.os, "cpu_count", lambda: 2)  # so on a one-core machine too
    build(articles, tmp_path / "parallel")
    single, parallel = open_engine(tmp_path / "single"), open_engine(tmp_path / "parallel")
    try:
        assert len(list(parallel.reader.leaf_readers())) > 1 == len(list(single.reader.leaf_readers()))
        for audience in AUDIENCES:
            # Similar articles too: their ties go by slug, not by the document numbers each layout gives.
            assert answers(parallel, audience) == answers(single, audience)
    finally:
        single.close()
        parallel.close()


def articles_using_each_word(folder, audience: str) -> dict[str, int]:
    taxonomy = load_taxonomy(folder / "taxonomy.yaml")
    analyzer = spelling_analyzer()
    return dict(Counter(
        word
        for article in load_folder(folder, taxonomy).articles
        if audience == "staff" or article.audience == "public"
        for word in {token.text for token in analyzer(" ".join([article.title, article.summary, article.text]), mode="index")}
    ))


def test_the_spelling_words_count_the_articles_using_them(articles_engine):
    """Corrections and completions weigh words by how many articles of the audience use them."""
    for audience in AUDIENCES:
        assert articles_engine.word_counts(audience) == articles_using_each_word(PROJECT / "articles", audience)
    assert articles_engine.word_counts("staff").keys() > articles_engine.word_counts("public").keys()


def test_the_spelling_words_of_replaced_and_removed_articles_are_not_counted(articles_copy, tmp_path):
    build(articles_copy, tmp_path / "index")
    first, second, *_ = sorted(articles_copy.glob("*.md"))
    first.write_text(first.read_text(encoding="utf-8") + "\nPorcupines and wombats.\n", encoding="utf-8")
    second.unlink()
    build(articles_copy, tmp_path / "index")
    engine = open_engine(tmp_path / "index")
    try:
        assert any(engine.reader.is_deleted(docnum) for docnum in range(engine.reader.doc_count_all()))
        for audience in AUDIENCES:
            assert engine.word_counts(audience) == articles_using_each_word(articles_copy, audience)
        assert engine.word_counts("staff")["porcupines"] == 1
    finally:
        engine.close()


def test_taxonomy_change_triggers_a_full_rebuild(articles_copy, tmp_path):
    store = IndexStore(tmp_path / "index")
    build(articles_copy, store.root)
    taxonomy = articles_copy / "taxonomy.yaml"
    taxonomy.write_text(taxonomy.read_text().replace("[box car]", "[box car, boxcar scars]"))
    report = build(articles_copy, store.root)
    assert report.full and report.updated == 0 and report.added == 0


def test_schema_change_triggers_a_full_rebuild(articles_copy, tmp_path):
    store = IndexStore(tmp_path / "index")
    build(articles_copy, store.root)
    manifest = Manifest.read(store.current_path())
    manifest.schema = SCHEMA_VERSION - 1
    manifest.write(store.current_path())
    assert build(articles_copy, store.root).full


def test_full_flag_rebuilds(articles_copy, tmp_path):
    store = IndexStore(tmp_path / "index")
    build(articles_copy, store.root)
    assert build(articles_copy, store.root, full=True).full


def test_second_writer_fails_with_a_clear_message(articles_copy, tmp_path):
    store = IndexStore(tmp_path / "index")
    with store.writer_lock():
        with pytest.raises(IndexBusy, match="another `kb index` is writing"):
            build(articles_copy, store.root)


def test_failed_build_leaves_the_old_version_serving(articles_copy, tmp_path):
    store = IndexStore(tmp_path / "index")
    build(articles_copy, store.root)
    serving = store.current_name()

    def explode(done):
        if done == 3:
            raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        build(articles_copy, store.root, full=True, progress=explode)
    assert store.current_name() == serving
    assert doc_count(store) == 7
    assert not list(store.root.glob("tmp-*"))
    # and the lock was released: the next run succeeds
    assert build(articles_copy, store.root, full=True).full


def test_leftovers_of_a_killed_build_are_cleaned(articles_copy, tmp_path):
    store = IndexStore(tmp_path / "index")
    build(articles_copy, store.root)
    half_built = store.root / "tmp-deadbeef"
    half_built.mkdir()
    (half_built / "_MAIN_1.toc").write_bytes(b"half")
    report = build(articles_copy, store.root, full=True)
    assert report.full and not half_built.exists()


def test_old_versions_are_pruned(articles_copy, tmp_path):
    store = IndexStore(tmp_path / "index")
    for _ in range(5):
        build(articles_copy, store.root, full=True)
    versions = sorted(p.name for p in store.root.glob("v-*"))
    assert len(versions) == 3 and store.current_name() == versions[-1]


def test_current_is_a_symlink_switched_atomically(articles_copy, tmp_path):
    store = IndexStore(tmp_path / "index")
    build(articles_copy, store.root)
    assert os.path.islink(store.root / "current")
    assert not list(store.root.glob(".current-*"))


# -- updates parse only the files changed since the current version -------------------------------


def test_the_manifest_outlines_every_indexed_article(articles_copy, tmp_path):
    store = IndexStore(tmp_path / "index")
    build(articles_copy, store.root)
    manifest = Manifest.read(store.current_path())
    assert set(manifest.outlines) == set(manifest.articles)
    assert all(manifest.outlines[slug]["hash"] == digest for slug, digest in manifest.articles.items())
    linker = manifest.outlines["what-is-microneedling"]
    assert [slug for slug, _ in linker["related"]] == ["microneedling-cost", "side-effects"]


def test_an_update_parses_only_the_changed_file(articles_copy, tmp_path):
    store = IndexStore(tmp_path / "index")
    build(articles_copy, store.root)
    taxonomy = load_taxonomy(articles_copy / "taxonomy.yaml")
    cost = articles_copy / "microneedling-cost.md"
    cost.write_text(cost.read_text().replace("A course of", "A full course of"))

    loaded = load_folder(articles_copy, taxonomy, store.known_outlines(taxonomy))
    report = update_index(store, loaded, taxonomy)

    assert [a.slug for a in loaded.articles] == ["microneedling-cost"] and len(loaded.unchanged) == 6
    assert (report.added, report.updated, report.removed, report.unchanged, report.full) == (0, 1, 0, 6, False)
    assert doc_count(store) == 7
    assert set(Manifest.read(store.current_path()).outlines) == set(Manifest.read(store.current_path()).articles)


def test_an_update_parses_and_writes_only_the_changed_article(articles_copy, tmp_path, monkeypatch):
    """What the report says is what was done: one changed article is one file parsed and one
    document written, whatever the report counts. Watched at the two functions every article
    passes through to be parsed and to become a Whoosh document."""
    import kb.folder
    import kb.index

    store = IndexStore(tmp_path / "index")
    build(articles_copy, store.root)
    cost = articles_copy / "microneedling-cost.md"
    cost.write_text(cost.read_text().replace("A course of", "A full course of"))
    parsed, written = [], []
    real_load, real_document = kb.folder.load_article, kb.index.document
    monkeypatch.setattr(kb.folder, "load_article", lambda path, *args, **kw: parsed.append(Path(path).stem) or real_load(path, *args, **kw))
    monkeypatch.setattr(kb.index, "document", lambda article, taxonomy: written.append(article.slug) or real_document(article, taxonomy))

    report = build(articles_copy, store.root)

    assert (parsed, written) == (["microneedling-cost"], ["microneedling-cost"])
    assert (report.added, report.updated, report.unchanged, report.full) == (0, 1, 6, False)
    assert doc_count(store) == 7


def test_the_manifest_written_reads_back_as_it_was(articles_copy, tmp_path):
    store = IndexStore(tmp_path / "index")
    build(articles_copy, store.root)
    manifest = Manifest.read(store.current_path())
    manifest.outlines["microneedling-cost"]["stamp"] = (1, 2, 3)  # as Outline.to_json gives it: a tuple
    manifest.taxonomy = "taxonomy \u00e9\u2026"  # written as UTF-8
    manifest.write(tmp_path)
    again = Manifest.read(tmp_path)
    assert again.__dict__ == {**manifest.__dict__, "outlines": {**manifest.outlines, "microneedling-cost": {**manifest.outlines["microneedling-cost"], "stamp": [1, 2, 3]}}}


@pytest.mark.parametrize("damage", [b"", b"{not json", b"\xff\xfe{}", b"[]", b'{"schema": "six"}'])
def test_an_update_over_an_unreadable_manifest_parses_every_article_again(articles_copy, tmp_path, damage):
    store = IndexStore(tmp_path / "index")
    build(articles_copy, store.root)
    (store.current_path() / "manifest.json").write_bytes(damage)
    taxonomy = load_taxonomy(articles_copy / "taxonomy.yaml")
    assert store.known_outlines(taxonomy) == {}

    loaded = load_folder(articles_copy, taxonomy, store.known_outlines(taxonomy))
    report = update_index(store, loaded, taxonomy)

    assert len(loaded.articles) == 7 and not report.problems
    assert doc_count(store) == 7
    assert Manifest.read(store.current_path()).schema == SCHEMA_VERSION


def test_outlines_are_not_trusted_across_a_taxonomy_change(articles_copy, tmp_path):
    store = IndexStore(tmp_path / "index")
    build(articles_copy, store.root)
    taxonomy_file = articles_copy / "taxonomy.yaml"
    taxonomy_file.write_text(taxonomy_file.read_text().replace("[box car]", "[box car, boxcar scars]"))
    assert store.known_outlines(load_taxonomy(taxonomy_file)) == {}


def test_an_unchanged_file_is_parsed_when_another_run_indexed_it_differently_meanwhile(articles_copy, tmp_path):
    store = IndexStore(tmp_path / "index")
    build(articles_copy, store.root)
    taxonomy = load_taxonomy(articles_copy / "taxonomy.yaml")
    cost = articles_copy / "microneedling-cost.md"
    original = cost.read_text()
    loaded = load_folder(articles_copy, taxonomy, store.known_outlines(taxonomy))  # every file unchanged
    cost.write_text(original.replace("A course of", "A full course of"))
    build(articles_copy, store.root)  # another `kb index` publishes the edit
    cost.write_text(original)  # and the edit is undone before this run takes the lock

    report = update_index(store, loaded, taxonomy)

    assert report.updated == 1
    ix = whoosh_index.open_dir(str(store.current_path()))
    with ix.searcher() as searcher:
        assert "full course" not in text_of(searcher, "microneedling-cost")
    ix.close()


def test_a_related_article_added_later_shows_without_its_neighbour_being_indexed_again(articles_copy, tmp_path):
    store = IndexStore(tmp_path / "index")
    linker = articles_copy / "what-is-microneedling.md"
    linker.write_text(linker.read_text().replace("related: [", "related: [aftercare-later, "))
    build(articles_copy, store.root)
    (articles_copy / "aftercare-later.md").write_text("---\ntitle: Aftercare\nsummary: Looking after skin.\n---\nText.\n")

    report = build(articles_copy, store.root)

    assert (report.added, report.updated) == (1, 0)
    engine = Engine(store, store.current_name())
    try:
        related = [r["slug"] for r in engine.article("what-is-microneedling")["related"]]
    finally:
        engine.close()
    assert related == ["aftercare-later", "microneedling-cost", "side-effects"]
