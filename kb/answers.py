"""A bounded cache of finished answers, for the index version that made them.

Widgets send the same few searches over and over ("microneedling", "cost", each prefix of
"does it hurt"); a repeated answer is served from here without searching or encoding again.
Entries are keyed by the index version, the audience and the normalized request, so an
answer is never served for another version or to another audience; a new version empties
the cache, and the least recently used answers go first when it is full.
"""
from __future__ import annotations

import threading
from typing import Callable, Hashable, TypeVar

from cachetools import LRUCache

Value = TypeVar("Value")


class AnswerCache:
    def __init__(self, size: int):
        self.size = size
        self._entries: LRUCache = LRUCache(maxsize=max(size, 1))
        self._version: str | None = None
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, version: str, audience: str, key: Hashable, build: Callable[[], Value]) -> Value:
        """The cached answer for (version, audience, key), or `build()`'s, kept for next time."""
        found = self.find(version, audience, key)
        if found is None:
            found = build()  # outside the lock: a slow search must not hold up cached answers
            self.keep(version, audience, key, found)
        return found

    def find(self, version: str, audience: str, key: Hashable) -> Value | None:
        """The cached answer for (version, audience, key), or None."""
        if self.size <= 0:
            return None
        with self._lock:
            if version != self._version:
                self._entries.clear()
                self._version = version
            found = self._entries.get((audience, key))
            if found is None:
                self.misses += 1
            else:
                self.hits += 1
            return found

    def keep(self, version: str, audience: str, key: Hashable, value: Value) -> None:
        """Keep an answer, unless the index version changed since it was looked for."""
        if self.size <= 0:
            return
        with self._lock:
            if version == self._version:
                self._entries[(audience, key)] = value

    def __len__(self) -> int:
        return len(self._entries)
