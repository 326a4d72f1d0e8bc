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

Answers are bounded by count and by memory: `sizeof(value)` says what an answer holds (its
encoded body, for the API) and ENTRY_BYTES is added for its key and what comes with it, so
that a worker's cache stays within `max_bytes` whatever the answers' sizes (fifty hits with
snippets weigh thirty times a suggestion). tests/test_answers.py measures the real memory.
"""
from __future__ import annotations

import threading
from typing import Callable, Hashable, TypeVar

from cachetools import LRUCache

Value = TypeVar("Value")

#: Aliases kept per answer kept: most answers are asked for one way, some two ("q=cost&page=1", "q=cost").
ALIASES_PER_ANSWER = 2
#: What one kept answer costs besides `sizeof(value)`: its key, its headers and summary and the
#: cache's own entry (measured in tests/test_answers.py: about 1.5 KB).
ENTRY_BYTES = 2 * 1024
#: What one kept alias costs: the request as sent and the cache's entry (measured: about 560 bytes).
ALIAS_BYTES = 768
#: The share of `max_bytes` aliases may take; answers take the rest.
ALIAS_SHARE = 1 / 8


class AnswerCache:
    """`hits` counts answers served from the cache, `misses` answers that had to be built;
    `kept_bytes` is what the kept answers are reckoned to take."""

    def __init__(self, size: int, max_bytes: int | None = None, sizeof: Callable[[Value], int] = lambda value: 0):
        self.size = size
        self.max_bytes = max_bytes
        self._sizeof = sizeof
        # Each value is kept with its reckoned size: (value, bytes).
        self._answers: LRUCache = LRUCache(maxsize=self._answer_bytes or float("inf"), getsizeof=lambda kept: kept[1])
        # An alias keeps its answer's key alive after the answer is gone, so aliases have a room of their own.
        alias_room = max(size, 1) * ALIASES_PER_ANSWER
        if max_bytes is not None:
            alias_room = min(alias_room, max(1, int(max_bytes * ALIAS_SHARE) // ALIAS_BYTES))
        self._aliases: LRUCache = LRUCache(maxsize=alias_room)
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
                return None
            self.hits += 1
            return found[0]

    def keep(self, version: str, audience: str, key: Hashable, value: Value) -> None:
        """Keep an answer, unless the index version changed since it was looked for."""
        if self.size <= 0:
            return
        kept = (value, ENTRY_BYTES + self._sizeof(value))
        if self._answer_bytes is not None and kept[1] > self._answer_bytes:
            return  # larger than the whole cache: answered, not kept
        with self._lock:
            if version == self._version:
                self._answers[(audience, key)] = kept
                while len(self._answers) > self.size:
                    self._answers.popitem()  # the least recently used

    def find_alias(self, version: str, audience: str, alias: Hashable) -> Value | None:
        """The cached answer of the key `alias` stands for, or None (not counted as a miss:
        the caller goes on to look for the key itself)."""
        if self.size <= 0:
            return None
        with self._lock:
            self._check_version(version)
            key = self._aliases.get((audience, alias))
            found = None if key is None else self._answers.get(key)
            if found is None:
                return None
            self.hits += 1
            return found[0]

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

    @property
    def _answer_bytes(self) -> int | None:
        return None if self.max_bytes is None else int(self.max_bytes * (1 - ALIAS_SHARE))

    @property
    def kept_bytes(self) -> int:
        """What the kept answers and aliases are reckoned to take."""
        return int(self._answers.currsize) + len(self._aliases) * ALIAS_BYTES
