"""Bringing the index up to date with the articles folder: what `kb index` runs, and the editor's
Save after writing a file (the same loading, checks and lock)."""
from __future__ import annotations

from pathlib import Path
from typing import Mapping

from kb.errors import KbError
from kb.folder import LoadResult, load_folder
from kb.index import IndexReport, IndexStore, Progress, update_index
from kb.rules import RuleSet, check_rules
from kb.taxonomy import Taxonomy, load_taxonomy


def load_articles(config: Mapping, previous_from: IndexStore | None = None) -> tuple[Taxonomy, LoadResult, RuleSet]:
    """The taxonomy, the articles and the query rules (their problems among the articles'); with
    an index store, files unchanged since its current version are not parsed again (their
    outlines come from its manifest). KbError when the taxonomy or the folder is unusable."""
    taxonomy = load_taxonomy(config["TAXONOMY_FILE"])
    folder = Path(config["ARTICLES_DIR"])
    if not folder.is_dir():
        raise KbError(f"articles folder {folder} does not exist (set KB_ARTICLES_DIR)")
    previous = previous_from.known_outlines(taxonomy) if previous_from else None
    loaded = load_folder(folder, taxonomy, previous)
    rules = check_rules(config["RULES_FILE"], taxonomy, {outline.slug for outline in loaded.outlines})
    loaded.problems.extend(rules.problems)
    return taxonomy, loaded, rules


def index_loaded(config: Mapping, loaded: tuple[Taxonomy, LoadResult, RuleSet], *, full: bool = False,
                 wait: float = 0.0, progress: Progress | None = None) -> IndexReport:
    """Publish a new index version for what `load_articles` found (incremental unless `full`)."""
    taxonomy, articles, rules = loaded
    return update_index(IndexStore(config["INDEX_DIR"]), articles, taxonomy, full=full, wait=wait, progress=progress, rules=rules)


def index_articles(config: Mapping, *, wait: float = 0.0) -> IndexReport:
    """Load what changed in the articles folder and publish it: `kb index` without its terminal output."""
    return index_loaded(config, load_articles(config, IndexStore(config["INDEX_DIR"])), wait=wait)
