"""A save from the editor: the file written (unless it changed meanwhile), the change recorded
in the history, and the index brought up to date, so that the article is searchable at once.

The file is what counts: when recording or indexing fails, the save stands and the outcome says
what did not happen (the next `kb index` indexes the file; the next save records it).
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Mapping

import filelock

from kb.article_files import ArticleFiles, FileVersion
from kb.errors import KbError
from kb.history import HistoryError
from kb.index import IndexReport
from kb.indexing import index_articles

log = logging.getLogger(__name__)

#: How long a save waits for a `kb index` (or another save's update) to finish before giving up on indexing.
INDEX_WAIT_SECONDS = 30


@dataclass
class SaveOutcome:
    saved: FileVersion
    changed: bool
    history_error: str | None = None
    index_error: str | None = None
    report: IndexReport | None = None
    #: From the start of the save to the new index version published.
    seconds: float = 0.0


def save_article(files: ArticleFiles, history, config: Mapping, slug: str, text: str, edited: str | None,
                 author: str, message: str) -> SaveOutcome:
    """Write `text` as the article `slug` over the version `edited` (None: a new article), record it
    and index it; EditConflict, with nothing written, when the file is no longer that version."""
    started = time.perf_counter()
    try:
        with files.lock:
            current = files.current(slug)
            if current is not None and current.digest == edited and current.raw == text.encode("utf-8"):
                return SaveOutcome(current, changed=False, seconds=time.perf_counter() - started)
            history_error = _recorded(lambda: current and history.record_outside_changes(slug, current.path))
            saved = files.save(slug, text, edited)
            history_error = _recorded(lambda: history.record(slug, saved.path, author, message)) or history_error
    except filelock.Timeout as exc:
        raise KbError("another save is still being written; try again in a moment", status=503, code="busy") from exc
    outcome = SaveOutcome(saved, changed=True, history_error=history_error)
    try:
        outcome.report = index_articles(config, wait=INDEX_WAIT_SECONDS)
    except (KbError, OSError) as exc:
        outcome.index_error = getattr(exc, "message", None) or str(exc)
        log.error("%s was saved but the index was not updated: %s", saved.path, outcome.index_error)
    outcome.seconds = time.perf_counter() - started
    return outcome


def _recorded(record) -> str | None:
    """Run a history step; its failure is said, never lost, and never undoes the save."""
    try:
        record()
    except HistoryError as exc:
        log.error("a save was not recorded in the history: %s", exc.message)
        return exc.message
    return None

