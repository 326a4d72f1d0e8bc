"""The Whoosh index: schema, full builds into a fresh folder switched in atomically, incremental updates.

On disk, INDEX_DIR holds complete versions side by side and a `current` symlink:

    index/current -> v-20261121T101500-3f2a1c    (the version every reader opens)
    index/v-20261121T101500-3f2a1c/             (Whoosh files, manifest.json, taxonomy.yaml)
    index/tmp-...                               (a build in progress; never read)
    index/.writer.lock                          (one `kb index` at a time)

Nothing ever writes into a version a reader may have open: a full build writes a new
folder; an incremental update hard-links the current version's files (Whoosh segments
are write-once) into a new folder and commits there. The switch is a rename of a symlink,
so a reader sees the old version or the new one, never half of one; a failed or killed
build leaves only a tmp- folder, removed by the next `kb index`.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import secrets
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import filelock
import orjson
from whoosh import index as whoosh_index
from whoosh.columns import VarBytesColumn
from whoosh.fields import COLUMN, ID, KEYWORD, NUMERIC, STORED, TEXT, Schema

from kb.analysis import spelling_analyzer, text_analyzer
from kb.articles import Article, Outline, Problem
from kb.errors import IndexBusy, IndexUnavailable
from kb.folder import LoadResult
from kb.rules import RuleSet, load_rules
from kb.spans import SpannedText
from kb.taxonomy import FACET_KEYS, Taxonomy, load_taxonomy
from kb.whoosh_internals import lean_codec
from kb.wordsets import WordSet

log = logging.getLogger(__name__)

#: Bump when the schema or the way documents are built changes: existing indexes then rebuild by themselves.
SCHEMA_VERSION = 13  # 2: Snowball (Porter2) stemming; 3: no positions (nothing reads them); 4: text in a column;
# 5: the body's term spans in its column; 6: spelling words in a column, analyzers indexing word by word;
# 7: words left unstemmed (analysis.UNSTEMMED), one text line per block; 8: review dates; 9: file digests;
# 10: tables in a scrolling box; 11: sources' titles and links; 12: drafts;
# 13: each hit's card in a column
CURRENT = "current"
MANIFEST = "manifest.json"
TAXONOMY_COPY = "taxonomy.yaml"
RULES_COPY = "rules.yaml"
LOCK_FILE = ".writer.lock"
#: Old versions kept after a switch, for readers that opened them moments before.
KEEP_OLD_VERSIONS = 2
#: Whoosh's own lock files inside a version; never hard-linked into a clone.
WHOOSH_LOCKS = ("_MAIN_WRITELOCK", "MAIN_WRITELOCK")

#: Full builds of at least this many articles are written by several processes, at most this many.
PARALLEL_BUILD_MINIMUM, MAX_BUILD_PROCESSES = 500, 4

Progress = Callable[[int], None]


def build_schema(taxonomy: Taxonomy) -> Schema:
    analyzer = text_analyzer(taxonomy)
    spelling = spelling_analyzer()
    facet_fields = {key: KEYWORD(stored=True, commas=True, scorable=False) for key in FACET_KEYS}
    return Schema(
        slug=ID(stored=True, unique=True),
        audience=ID(stored=True),
        status=ID(stored=True),
        title=TEXT(analyzer=analyzer, stored=True, phrase=False),
        summary=TEXT(analyzer=analyzer, stored=True, phrase=False),
        headings=TEXT(analyzer=analyzer, phrase=False),
        # Also keeps where each term stands, for snippets (kb/spans.py).
        body=SpannedText(analyzer=analyzer),
        # The article's text for snippets and key terms, read per hit. Not a stored field: those are
        # one compressed pickle per article with its HTML, unpickled whole for every read.
        text=COLUMN(VarBytesColumn()),
        # What a hit shows (kb/cards.py), read for every document when a version is opened.
        card=COLUMN(VarBytesColumn()),
        # Labels of the article's facet values, so "dark spots" finds an article tagged with it.
        tags=TEXT(analyzer=analyzer, phrase=False),
        # Unstemmed words for corrections and completions, counted per audience (kb/wordsets.py).
        words=WordSet(spelling),
        title_sort=ID(sortable=True),
        updated=ID(stored=True),
        updated_days=NUMERIC(int, sortable=True),
        price_min=NUMERIC(float, stored=True),
        price_max=NUMERIC(float, stored=True),
        details=STORED,
        **facet_fields,
    )


def document(article: Article, taxonomy: Taxonomy) -> dict:
    """The Whoosh document of one article."""
    words = " ".join([article.title, article.summary, article.text])
    doc = {
        "slug": article.slug,
        "audience": article.audience,
        "status": article.status,
        "title": article.title,
        "summary": article.summary,
        "headings": "\n".join(h.text for h in article.headings),
        "body": article.text,
        "text": article.text.encode("utf-8"),
        "card": orjson.dumps({
            "slug": article.slug, "title": article.title, "summary": article.summary,
            "updated": article.updated.isoformat() if article.updated else None, "audience": article.audience,
            "facets": {key: list(article.facets[key]) for key in FACET_KEYS},
        }),
        "tags": "\n".join(taxonomy.label(key, v) for key in FACET_KEYS if key != "cost" for v in article.facets[key]),
        "words": words,
        "title_sort": article.title.casefold(),
        "updated": article.updated.isoformat() if article.updated else "",
        "updated_days": article.updated.toordinal() if article.updated else 0,
        "details": {
            "html": article.html,
            "headings": [(h.level, h.anchor, h.text) for h in article.headings],
            "sources": list(article.sources),
            "source_details": [source.to_dict() for source in article.source_details],
            "related": list(article.related),
            "currency": article.currency,
            "reviewed": article.reviewed.as_dict() if article.reviewed else None,
        },
    }
    for key in FACET_KEYS:
        doc[key] = ",".join(article.facets[key])
    if article.price_min is not None:
        doc["price_min"], doc["price_max"] = article.price_min, article.price_max
    return doc


@dataclass
class Manifest:
    """What a version holds: each article's content hash, and its outline (how to tell its file
    unchanged without parsing it; what it links to), with the schema and taxonomy it was built with."""

    schema: int
    taxonomy: str
    articles: dict[str, str]
    created: str
    outlines: dict[str, dict] = field(default_factory=dict)
    #: The fingerprint of the query rules published with this version ("" for none).
    rules: str = ""
    #: Every file of the version as written: name -> [size, SHA-256], to tell a damaged one.
    files: dict[str, list] = field(default_factory=dict)

    @classmethod
    def read(cls, folder: Path) -> Manifest | None:
        try:
            data = orjson.loads((folder / MANIFEST).read_bytes())
            return cls(
                int(data["schema"]), str(data["taxonomy"]), dict(data["articles"]), str(data["created"]),
                dict(data.get("outlines", {})), str(data.get("rules", "")), dict(data.get("files", {})),
            )
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def write(self, folder: Path) -> None:
        # Write beside and rename: the old manifest may be a hard link shared with the live version.
        # orjson, as the API: it holds an outline per article, read and written on every update.
        tmp = folder / f".{MANIFEST}.tmp"
        tmp.write_bytes(orjson.dumps(self.__dict__, option=orjson.OPT_SORT_KEYS))
        os.replace(tmp, folder / MANIFEST)

    def damaged_files(self, folder: Path) -> list[str]:
        """The version's files that are missing or no longer as written (size, then content)."""
        damaged = []
        for name, (size, digest) in sorted(self.files.items()):
            try:
                if (folder / name).stat().st_size != size or file_digest(folder / name) != digest:
                    damaged.append(name)
            except OSError:
                damaged.append(name)
        return damaged

    def known_outlines(self, taxonomy: Taxonomy) -> dict[str, Outline]:
        """slug -> Outline of the articles indexed in this version, when the articles it was built
        from are still valid as they were (same schema and taxonomy); else nothing."""
        if self.schema != SCHEMA_VERSION or self.taxonomy != taxonomy.fingerprint:
            return {}
        try:
            return {slug: Outline.from_json(slug, data) for slug, data in self.outlines.items() if self.articles.get(slug) == data["hash"]}
        except (KeyError, TypeError, ValueError):
            log.warning("the index manifest's outlines cannot be read; every article is parsed again")
            return {}


@dataclass
class IndexReport:
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)
    full: bool = False
    version: str | None = None
    seconds: float = 0.0
    #: Files of the previous version found damaged, which this build replaced.
    repaired: list[str] = field(default_factory=list)

    @property
    def rejected(self) -> list[str]:
        return sorted({p.path for p in self.problems if p.fatal})

    def summary(self) -> str:
        kind = "full build" if self.full else "update"
        repaired = f"; {len(self.repaired)} damaged index files repaired" if self.repaired else ""
        return (
            f"{self.added} added, {self.updated} updated, {self.removed} removed, "
            f"{len(self.rejected)} rejected ({kind}, {self.seconds:.2f} s){repaired}"
        )


class IndexStore:
    """The folder of index versions: which one is current, opening it, locking writers."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        # Read on every request to notice a new version: as a string, not joined as a Path each time.
        self._current_link = str(self.root / CURRENT)
        # The last manifest read, by version name: a published version never changes, and
        # `kb index` reads the current one twice (outlines before the lock, hashes under it).
        self._last_manifest: tuple[str, Manifest | None] | None = None

    def current_name(self) -> str | None:
        try:
            return os.readlink(self._current_link)
        except OSError:
            return None

    def current_path(self) -> Path:
        name = self.current_name()
        if name is None or not (self.root / name).is_dir():
            raise IndexUnavailable("no index has been built yet; run `kb index`")
        return self.root / name

    def open(self, name: str) -> tuple[whoosh_index.Index, Taxonomy]:
        """Open one version with the taxonomy it was built with; IndexUnavailable when it is unusable."""
        folder = self.root / name
        try:
            taxonomy = load_taxonomy(folder / TAXONOMY_COPY)
            return whoosh_index.open_dir(str(folder)), taxonomy
        except Exception as exc:  # a corrupt index can raise almost anything from unpickling
            log.error("index version %s cannot be opened: %s", name, exc)
            raise IndexUnavailable("the index cannot be read; rebuild it with `kb index`") from exc

    def rules(self, name: str) -> RuleSet:
        """The query rules published with one version (checked against its articles when built)."""
        return load_rules(self.root / name / RULES_COPY)

    def manifest(self) -> Manifest | None:
        name = self.current_name()
        if name is None:
            return None
        if self._last_manifest is None or self._last_manifest[0] != name:
            self._last_manifest = (name, Manifest.read(self.root / name))
        return self._last_manifest[1]

    def known_outlines(self, taxonomy: Taxonomy) -> dict[str, Outline]:
        """The current version's outlines (for `load_folder`'s `previous`), or nothing to rely on."""
        manifest = self.manifest()
        return manifest.known_outlines(taxonomy) if manifest else {}

    def writer_lock(self, wait: float = 0.0) -> filelock.BaseFileLock:
        self.root.mkdir(parents=True, exist_ok=True)
        return filelock.FileLock(str(self.root / LOCK_FILE), timeout=wait)

    def new_folder(self) -> Path:
        path = self.root / f"tmp-{secrets.token_hex(4)}"
        path.mkdir(parents=True)
        return path

    def publish(self, tmp: Path) -> str:
        """Give a finished build its version name and make it current in one atomic step."""
        name = f"v-{dt.datetime.now(dt.timezone.utc):%Y%m%dT%H%M%S%f}-{secrets.token_hex(3)}"
        os.rename(tmp, self.root / name)
        link = self.root / f".{CURRENT}-{secrets.token_hex(4)}"
        os.symlink(name, link)
        os.replace(link, self.root / CURRENT)
        return name

    def clean(self) -> None:
        """Drop half-built folders and all but the newest old versions (called with the lock held)."""
        current = self.current_name()
        versions = sorted((p for p in self.root.glob("v-*") if p.name != current), key=lambda p: p.name)
        stale = [p for p in self.root.glob("tmp-*")] + versions[:-KEEP_OLD_VERSIONS or None]
        for path in stale:
            shutil.rmtree(path, ignore_errors=True)
        for link in self.root.glob(f".{CURRENT}-*"):
            link.unlink(missing_ok=True)


def update_index(
    store: IndexStore,
    loaded: LoadResult,
    taxonomy: Taxonomy,
    *,
    full: bool = False,
    wait: float = 0.0,
    progress: Progress | None = None,
    rules: RuleSet = RuleSet(),
) -> IndexReport:
    """Bring the index up to date with `loaded` (and publish `rules` with it): incrementally when
    possible, else a full build."""
    started = time.perf_counter()
    lock = store.writer_lock(wait)
    try:
        lock.acquire()
    except filelock.Timeout as exc:
        raise IndexBusy(f"another `kb index` is writing {store.root}; try again when it has finished") from exc
    try:
        store.clean()
        report = _update_locked(store, loaded, taxonomy, rules, full, progress)
        store.clean()
    finally:
        lock.release()
    report.seconds = time.perf_counter() - started
    return report


def _update_locked(store, loaded, taxonomy, rules, full, progress) -> IndexReport:
    old = store.manifest()
    before = old.articles if old else {}
    rebuild = full or old is None or old.schema != SCHEMA_VERSION or old.taxonomy != taxonomy.fingerprint
    damaged: list[str] = []
    if not rebuild:
        # A version whose files changed since they were written (a truncated segment, a bad disk
        # block) is rebuilt in full, whether or not the articles changed.
        damaged = old.damaged_files(store.current_path())
        if damaged:
            log.warning("the current index version's files are damaged (%s); rebuilding it in full", ", ".join(damaged))
            rebuild = True
    loaded = _parse_what_the_index_lacks(loaded, before, rebuild, taxonomy)
    report = _compare(before, loaded)
    if not rebuild and not (report.added or report.updated or report.removed) and old.rules == rules.fingerprint:
        report.version = store.current_name()
        return report
    tmp = store.new_folder()
    try:
        ix = None if rebuild else _clone_for_update(store, tmp)
        if ix is None:
            rebuild = True
            ix = whoosh_index.create_in(str(tmp), build_schema(taxonomy))
            loaded = _parse_what_the_index_lacks(loaded, before, rebuild, taxonomy)
            report = _compare(before, loaded)
        outlines = {o.slug: o for o in loaded.outlines}
        changed = [a for a in loaded.articles if rebuild or before.get(a.slug) != a.content_hash]
        gone = [] if rebuild else [s for s in before if s not in outlines]
        _write(ix, changed, gone, taxonomy, rebuild, progress)
        ix.close()
        _write_copy(tmp / TAXONOMY_COPY, Path(taxonomy.path).read_text(encoding="utf-8"))
        _write_copy(tmp / RULES_COPY, rules.published())
        Manifest(
            SCHEMA_VERSION, taxonomy.fingerprint, {slug: o.content_hash for slug, o in outlines.items()},
            dt.datetime.now(dt.timezone.utc).isoformat(), {slug: o.to_json() for slug, o in outlines.items()},
            rules.fingerprint, version_files(tmp),
        ).write(tmp)
        report.version = store.publish(tmp)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    report.full = rebuild
    report.repaired = damaged
    log.info("index version %s: %s", report.version, report.summary())
    return report


def file_digest(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def version_files(folder: Path) -> dict[str, list]:
    """name -> [size, SHA-256] of every file a version is read from (not Whoosh's lock, not the manifest)."""
    return {
        path.name: [path.stat().st_size, file_digest(path)]
        for path in sorted(folder.iterdir())
        if path.is_file() and path.name not in WHOOSH_LOCKS and path.name != MANIFEST and not path.name.startswith(".")
    }


def _write_copy(path: Path, text: str) -> None:
    """A file of the new version; an update's clone hard-links the live version's, which must not change."""
    path.unlink(missing_ok=True)
    path.write_text(text, encoding="utf-8")


def _compare(indexed: dict[str, str], loaded: LoadResult) -> IndexReport:
    """What updating an index holding `indexed` (slug -> content hash) to `loaded` adds, changes and removes."""
    wanted = {o.slug: o.content_hash for o in loaded.outlines}
    report = IndexReport(
        added=sum(1 for s in wanted if s not in indexed),
        updated=sum(1 for s, h in wanted.items() if s in indexed and indexed[s] != h),
        removed=sum(1 for s in indexed if s not in wanted),
        problems=list(loaded.problems),
    )
    report.unchanged = len(wanted) - report.added - report.updated
    return report


def _parse_what_the_index_lacks(loaded: LoadResult, indexed: dict[str, str], rebuild: bool, taxonomy: Taxonomy) -> LoadResult:
    """`loaded` with its unchanged articles parsed where the index does not hold them as they are:
    all of them for a rebuild; any whose hash the current version does not have (another
    `kb index` may have published a version since the outlines were read)."""
    lacking = [o for o in loaded.unchanged if rebuild or indexed.get(o.slug) != o.content_hash]
    return loaded.parse(lacking, taxonomy) if lacking else loaded


def _clone_for_update(store: IndexStore, tmp: Path):
    """The current version hard-linked into `tmp` and opened for writing, or None when it can't be read
    (damaged or missing files): the caller then rebuilds everything, which is what repairs it."""
    try:
        _hardlink_clone(store.current_path(), tmp)
        ix = whoosh_index.open_dir(str(tmp))
        ix.doc_count_all()  # reads the table of contents and every segment's metadata
        return ix
    except Exception as exc:  # a damaged index can raise almost anything from unpickling
        log.warning("the current index version cannot be updated (%s); rebuilding it in full", exc)
        for path in tmp.iterdir():
            path.unlink()
        return None


def _write(ix, changed: list[Article], gone: Iterable[str], taxonomy: Taxonomy, rebuild: bool, progress) -> None:
    writer = _writer(ix, len(changed) if rebuild else 0)
    try:
        for slug in gone:
            writer.delete_by_term("slug", slug)
        for done, article in enumerate(changed, start=1):
            doc = document(article, taxonomy)
            if rebuild:
                writer.add_document(**doc)
            else:
                writer.update_document(**doc)
            if progress:
                progress(done)
    except BaseException:
        writer.cancel()
        raise
    writer.commit()


def _writer(ix, documents: int):
    """A writer for `documents` new documents: large builds use a process per core, each writing a segment.

    Whoosh's multi-process writer merges its segments into one at the end in a single process,
    which costs as long as the parallel indexing saves; the segments are kept apart instead (a search
    reads them all, and the statistics it scores with are the whole index's).
    Non-compound segments: a compound file is copied into memory by every reader opened.
    """
    procs = min(os.cpu_count() or 1, MAX_BUILD_PROCESSES)
    if procs > 1 and documents >= PARALLEL_BUILD_MINIMUM:
        return ix.writer(procs=procs, multisegment=True, limitmb=256, compound=False, codec=lean_codec())
    return ix.writer(limitmb=256, compound=False, codec=lean_codec())


def _hardlink_clone(source: Path, target: Path) -> None:
    for path in source.iterdir():
        if path.is_file() and path.name not in WHOOSH_LOCKS and not path.name.endswith(".lock"):
            os.link(path, target / path.name)
