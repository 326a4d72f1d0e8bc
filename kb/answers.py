"""A bounded cache of finished answers, for the index version that made them.

Widgets send the same few searches over and over ("microneedling", "cost", each prefix of
"does it hurt"); a repeated answer is served from here without searching or encoding again.
Entries are keyed by the index version, the audience and the normalized request, so an
answer is never served for another version or to another audience; a new version empties
the cache, and the least recently used answers go first when it is full.

A request is also remembered as it was sent (an alias of its normalized key), so that a
repeat is found before its parameters are parsed and checked. Aliases are kept apart from
the answers and bounded on their own: the cache keeps as many answers as its size says,
however many ways they were asked for.
"""
from __future__ import annotations

import threading
from typing import Callable, Hashable, TypeVar

from cachetools import LRUCache

Value = TypeVar("Value")

#: Aliases kept per answer kept: most answers are asked for one way, some two ("Cost", "cost").
ALIASES_PER_ANSWER = 2


class AnswerCache:
    """`hits` counts answers served from the cache, `misses` answers that had to be built."""

    def __init__(self, size: int):
        self.size = size
        self._answers: LRUCache = LRUCache(maxsize=max(size, 1))
        self._aliases: LRUCache = LRUCache(maxsize=max(size, 1) * ALIASES_PER_ANSWER)
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
            self._check_version(version)
            found = self._answers.get((audience, key))
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
                self._answers[(audience, key)] = value

    def find_alias(self, version: str, audience: str, alias: Hashable) -> Value | None:
        """The cached answer of the key `alias` stands for, or None (not counted as a miss:
        the caller goes on to look for the key itself)."""
        if self.size <= 0:
            return None
        with self._lock:
            self._check_version(version)
            key = self._aliases.get((audience, alias))
            found = None if key is None else self._answers.get(key)
            if found is not None:
                self.hits += 1
            return found

    def alias(self, version: str, audience: str, alias: Hashable, key: Hashable) -> None:
        """Remember that `alias` stands for `key`, while the key's answer is kept."""
        if self.size <= 0:
            return
        with self._lock:
            if version == self._version and (audience, key) in self._answers:
                self._aliases[(audience, alias)] = (audience, key)

    def _check_version(self, version: str) -> None:
        if version != self._version:
            self._answers.clear()
            self._aliases.clear()
            self._version = version

    def __len__(self) -> int:
        """How many answers are kept."""
        return len(self._answers)
