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
        if self.size <= 0:
            return build()
        entry = (audience, key)
        with self._lock:
            if version != self._version:
                self._entries.clear()
                self._version = version
            found = self._entries.get(entry)
            if found is not None:
                self.hits += 1
                return found
            self.misses += 1
        value = build()  # outside the lock: a slow search must not hold up cached answers
        with self._lock:
            if version == self._version:
                self._entries[entry] = value
        return value

    def __len__(self) -> int:
        return len(self._entries)
