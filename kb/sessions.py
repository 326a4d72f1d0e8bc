"""Staff sessions: signed cookies that end when staff sign out, on every worker and node.

Flask keeps a session in a cookie it signs; nothing on the server knows it, so a copied cookie
would keep working until it expires. Each sign-in is given an id, and signing out records that
id as ended in a store every worker and node reads: files in the instance folder by default
(the folder that also holds the staff accounts), or Redis when SESSION_STORE_URI names one,
through cachelib either way. An id is kept until the session would have expired anyway.
Signing out everywhere changes the account's stamp instead (kb/accounts.py), which ends every
session of that account at once.
"""
from __future__ import annotations

import logging
import secrets
from pathlib import Path

from cachelib import BaseCache, FileSystemCache, RedisCache

log = logging.getLogger(__name__)

#: Ended sessions the instance folder keeps before pruning (expired ones go first).
ENDED_KEPT = 100_000
#: The instance folder's subfolder of ended session ids.
ENDED_FOLDER = "ended-sessions"


def new_session_id() -> str:
    return secrets.token_urlsafe(18)


class EndedSessions:
    """The ids of signed-out sessions, each until it would have expired anyway."""

    def __init__(self, store: BaseCache, lifetime_seconds: int):
        self._store = store
        self._lifetime = lifetime_seconds

    @classmethod
    def from_settings(cls, uri: str, instance_path: str | Path, lifetime_seconds: int) -> EndedSessions:
        if uri.startswith(("redis://", "rediss://", "unix://")):
            import redis  # only needed when configured

            return cls(RedisCache(redis.Redis.from_url(uri), key_prefix="kb:ended-session:"), lifetime_seconds)
        if uri:
            raise ValueError(f"SESSION_STORE_URI must be empty (the instance folder) or a redis:// URL, not {uri!r}")
        folder = Path(instance_path) / ENDED_FOLDER
        return cls(FileSystemCache(str(folder), threshold=ENDED_KEPT, mode=0o600), lifetime_seconds)

    def end(self, session_id: str) -> None:
        """Record the session as ended; raises if the store cannot keep it."""
        if not self._store.set(session_id, True, timeout=self._lifetime):
            raise OSError(f"could not record the end of a session in {self._store!r}")

    def has_ended(self, session_id: str) -> bool:
        return bool(self._store.has(session_id))
