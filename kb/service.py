"""The search service of one process: the engine of the current index version, replaced when
`kb index` publishes a new one, and a clear 503 while no usable version exists."""
from __future__ import annotations

import logging
import threading

from kb.engine import Engine
from kb.errors import ConfigError, IndexUnavailable
from kb.index import SCHEMA_VERSION, IndexStore, Manifest
from kb.ranking import Ranking

log = logging.getLogger(__name__)

UNUSABLE_MESSAGE = "the index cannot be read; rebuild it with `kb index`"
OLD_LAYOUT_MESSAGE = "the index was built by an older kb; rebuild it with `kb index`"


class SearchService:
    def __init__(self, index_dir, ranking: Ranking | None = None, search_key: bytes | None = None):
        self.store = IndexStore(index_dir)
        self.ranking = ranking or Ranking.from_settings()
        self.search_key = search_key
        self._engine: Engine | None = None
        self._retired: Engine | None = None
        self._unusable: str | None = None  # a version that failed to open, not retried on every request
        self._lock = threading.Lock()

    def engine(self) -> Engine:
        """The engine of the current version, opened on first use after a switch."""
        name = self.store.current_name()
        if name is None:
            raise IndexUnavailable("no index has been built yet; run `kb index`")
        engine = self._engine
        if engine is not None and engine.version == name:
            return engine
        if name == self._unusable:  # tried already: wait for `kb index` to publish a repaired version
            raise IndexUnavailable(UNUSABLE_MESSAGE)
        with self._lock:
            if self._engine is None or self._engine.version != name:
                fresh = self._open(name)
                # A request on another thread may still be reading the engine being replaced,
                # so it is closed one switch later, when nothing can still hold it.
                if self._retired is not None:
                    self._retired.close()
                self._retired, self._engine = self._engine, fresh
            return self._engine

    def close(self) -> None:
        with self._lock:
            for engine in (self._retired, self._engine):
                if engine is not None:
                    engine.close()
            self._retired = self._engine = None

    def _open(self, name: str) -> Engine:
        manifest = Manifest.read(self.store.root / name)
        if manifest is not None and manifest.schema != SCHEMA_VERSION:
            raise IndexUnavailable(OLD_LAYOUT_MESSAGE)
        try:
            return Engine(self.store, name, self.ranking, self.search_key)
        except IndexUnavailable:
            raise
        except ConfigError as exc:  # the English dictionary is missing: one message naming its file
            log.error("%s", exc.message)
            raise IndexUnavailable(exc.message) from exc
        except Exception as exc:  # a damaged segment can fail anywhere while the engine loads
            log.error("index version %s is unusable: %s", name, exc)
            self._unusable = name
            raise IndexUnavailable(UNUSABLE_MESSAGE) from exc
