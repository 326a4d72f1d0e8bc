import hashlib
import os

import pytest
from whoosh import index as whoosh_index

from kb.errors import IndexBusy
from kb.index import IndexStore, Manifest, SCHEMA_VERSION
from conftest import build


def file_digests(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir() if p.is_file()}


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
        assert "full course" in searcher.document(slug="microneedling-cost")["body"]


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
