"""Events leave the request path: a request only appends a row to this worker's queue; one
background thread writes the queue in batches. The queue is bounded, so a database that is
down costs memory up to a limit and then rows, never a slow or failed search. A loss is
counted and logged once, and once more when writing works again.
"""
from __future__ import annotations

import atexit
import datetime as dt
import logging
import os
import threading
import weakref
from typing import Callable

from kb.insights.store import EventStore, default_url

log = logging.getLogger(__name__)

#: Rows a worker holds while the database is slow or away (a few hundred bytes each).
QUEUE_LIMIT = 10_000
#: How often the background thread writes the queue (ANALYTICS_FLUSH_SECONDS).
FLUSH_SECONDS = 2.0
#: How often a worker deletes records older than the retention period.
FORGET_SECONDS = 3600.0

_live: "weakref.WeakSet[Recorder]" = weakref.WeakSet()


class Recorder:
    """`queued` rows wait to be written; `written` and `lost` count rows since the start."""

    def __init__(self, store: EventStore | None, *, retention_days: int, enabled: bool = True,
                 queue_limit: int = QUEUE_LIMIT, flush_seconds: float = FLUSH_SECONDS,
                 today: Callable[[], dt.date] = dt.date.today):
        self.store = store
        self.enabled = enabled and store is not None
        self.retention_days = retention_days
        self.queue_limit = queue_limit
        self.flush_seconds = flush_seconds
        self.today = today
        self.written = self.lost = 0
        self._queue: list[tuple[str, dict]] = []
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()  # one batch at a time: the thread's, or an exit flush
        self._failing = False
        self._full = False
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._last_forget = 0.0
        _live.add(self)

    @classmethod
    def from_settings(cls, config) -> "Recorder":
        """The app's recorder; with ANALYTICS off it records nothing and opens no database."""
        enabled = bool(config["ANALYTICS"])
        url = config["ANALYTICS_DATABASE_URL"] or default_url(config["INSTANCE_DIR"])
        return cls(
            EventStore(url) if enabled else None,
            retention_days=int(config["ANALYTICS_DAYS"]),
            enabled=enabled,
            flush_seconds=float(config["ANALYTICS_FLUSH_SECONDS"]),
        )

    def add(self, table: str, row: dict) -> None:
        """Queue one row (its day is set here); never blocks on the database."""
        if not self.enabled:
            return
        row = {**row, "day": self.today()}
        with self._lock:
            if len(self._queue) >= self.queue_limit:
                self._count_lost(1, "the queue is full (the database is too slow or away)")
                return
            self._queue.append((table, row))
        self._ensure_thread()

    def flush(self) -> None:
        """Write what is queued now; on failure the rows are counted as lost."""
        with self._write_lock:
            with self._lock:
                batch, self._queue = self._queue, []
            if not batch:
                return
            rows: dict[str, list[dict]] = {}
            for table, row in batch:
                rows.setdefault(table, []).append(row)
            try:
                self.store.write(rows)
            except Exception as exc:  # any database error: searches go on, the loss is counted
                with self._lock:
                    self._count_lost(len(batch), f"{type(exc).__name__}: {exc}".splitlines()[0])
                return
            with self._lock:
                self.written += len(batch)
                if self._failing or self._full:
                    log.warning("insights: recording again; %d events were lost in all", self.lost)
                self._failing = self._full = False

    def forget_old(self) -> None:
        """Delete records older than the retention period."""
        if self.enabled:
            self.store.forget_before(self.today() - dt.timedelta(days=self.retention_days))

    def close(self) -> None:
        """Stop the thread and write what is left (a worker's clean exit)."""
        if self._thread is not None and self._pid == os.getpid():
            self._wake.set()
            self._thread.join(timeout=10)
        if self.enabled:
            self.flush()

    def _count_lost(self, count: int, reason: str) -> None:
        """Called with the lock held. Logs the first loss of a bad spell only."""
        self.lost += count
        queue_full = reason.startswith("the queue is full")
        if not (self._failing or self._full):
            log.warning("insights: %d events not recorded: %s; searches are not affected", count, reason)
        if queue_full:
            self._full = True
        else:
            self._failing = True

    def _ensure_thread(self) -> None:
        # A thread does not survive a fork: each worker starts its own on its first event.
        if self._pid == os.getpid():
            return
        with self._lock:
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()
            self._wake = threading.Event()
            self._thread = threading.Thread(target=self._run, name="kb-insights", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while not self._wake.wait(self.flush_seconds):
            self.flush()
            self._forget_hourly()

    def _forget_hourly(self) -> None:
        now = dt.datetime.now().timestamp()
        if now - self._last_forget < FORGET_SECONDS:
            return
        self._last_forget = now
        try:
            self.forget_old()
        except Exception as exc:
            log.warning("insights: old records could not be deleted: %s", f"{exc}".splitlines()[0])


@atexit.register
def _flush_all() -> None:
    for recorder in list(_live):
        recorder.close()
