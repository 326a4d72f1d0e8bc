"""Staff accounts: names and password hashes in one JSON file under the instance folder.

Passwords are hashed with Werkzeug's `generate_password_hash` (scrypt, salted). A signed-in
session keeps the account's *stamp*, a digest of its current hash and its sessions' generation:
resetting a password, signing out everywhere or removing the account changes or drops the
stamp, which ends every session of the account at once.
"""
from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import re
import secrets
import tempfile
from pathlib import Path

import filelock
from werkzeug.security import check_password_hash, generate_password_hash

from kb.errors import AccountError, KbError

log = logging.getLogger(__name__)

ACCOUNTS_FILE = "staff.json"
#: Lower-case letters, digits and . _ - @, so a name is also safe in a log line and a URL.
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._@-]{0,63}$")
#: NIST SP 800-63B's floor for a chosen secret; longer passphrases are welcome, up to a sane cap.
PASSWORD_MIN, PASSWORD_MAX = 8, 256
#: What an account may do: staff read every published article; editors also write them and see drafts.
STAFF_ROLE, EDITOR_ROLE = "staff", "editor"
ROLES = (STAFF_ROLE, EDITOR_ROLE)


def check_name(name: str) -> str:
    folded = name.strip().casefold()
    if not NAME_PATTERN.match(folded):
        raise AccountError(f"'{name}' is not a valid staff name: use 1 to 64 letters, digits, '.', '_', '-' or '@'")
    return folded


def check_password(password: str) -> None:
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise AccountError(f"the password must be {PASSWORD_MIN} to {PASSWORD_MAX} characters long")


@functools.cache
def _dummy_hash() -> str:
    """Checked when the name is unknown, so a wrong name costs as long as a wrong password."""
    return generate_password_hash(secrets.token_hex(16))


def check_role(role: str) -> str:
    if role not in ROLES:
        raise AccountError(f"'{role}' is not a role: use {' or '.join(ROLES)}")
    return role


def stamp_of(account: dict) -> str:
    """What a session must hold to belong to the account as it is now."""
    generation = account.get("sessions", "")  # changed by `end_sessions`
    return hashlib.sha256((account["hash"] + generation).encode("utf-8")).hexdigest()[:16]


class StaffAccounts:
    """The accounts file of one instance folder; re-read when it changes on disk (another process may edit it)."""

    def __init__(self, instance_dir: str | os.PathLike):
        self.path = Path(instance_dir) / ACCOUNTS_FILE
        self._lock = filelock.FileLock(str(self.path) + ".lock")
        self._cache: tuple[tuple[int, int], dict[str, dict]] | None = None
        _dummy_hash()  # made now (once a process), or the first unknown name would cost two hashes

    # -- reading ---------------------------------------------------------------------------

    def _read(self) -> dict[str, dict]:
        try:
            info = self.path.stat()
        except FileNotFoundError:
            return {}
        key = (info.st_mtime_ns, info.st_size)
        if self._cache is not None and self._cache[0] == key:
            return self._cache[1]
        try:
            accounts = json.loads(self.path.read_text(encoding="utf-8"))["accounts"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise KbError(f"the staff accounts file {self.path} cannot be read: {exc}") from exc
        self._cache = (key, accounts)
        return accounts

    def names(self) -> list[str]:
        return sorted(self._read())

    def verify(self, name: str, password: str) -> str | None:
        """The account's stamp when the name and password match, else None."""
        try:
            folded = check_name(name)
        except AccountError:
            folded = ""
        account = self._read().get(folded)
        if account is None:
            check_password_hash(_dummy_hash(), password)
            return None
        if not check_password_hash(account["hash"], password):
            return None
        return stamp_of(account)

    def stamp(self, name: str) -> str | None:
        """The current stamp of an account, or None when it no longer exists."""
        account = self._read().get(name)
        return stamp_of(account) if account else None

    def role(self, name: str) -> str | None:
        """The account's role (accounts made before roles existed are staff), or None when there is no such account."""
        account = self._read().get(name)
        return account.get("role", STAFF_ROLE) if account else None

    # -- writing ---------------------------------------------------------------------------

    def add(self, name: str, password: str, role: str | None = None) -> bool:
        """Create the account or reset its password; True when it is new. A new account is staff
        unless `role` says otherwise; a reset keeps the account's role unless `role` is given."""
        folded = check_name(name)
        check_password(password)
        role = check_role(role) if role is not None else None
        with self._lock:
            accounts = dict(self._read())
            created = folded not in accounts
            kept_role = role or accounts.get(folded, {}).get("role", STAFF_ROLE)
            accounts[folded] = {"hash": generate_password_hash(password), "role": kept_role}
            self._write(accounts)
        log.info("staff account %s %s (%s)", folded, "created" if created else "reset", kept_role)
        return created

    def set_role(self, name: str, role: str) -> None:
        """Change what the account may do; its sessions go on, with the new role from their next request."""
        folded = check_name(name)
        check_role(role)
        with self._lock:
            accounts = dict(self._read())
            if folded not in accounts:
                raise AccountError(f"no staff account '{folded}'")
            accounts[folded] = {**accounts[folded], "role": role}
            self._write(accounts)
        log.info("staff account %s is now %s", folded, role)

    def end_sessions(self, name: str) -> None:
        """End every session of the account (signing out everywhere); the password stays."""
        folded = check_name(name)
        with self._lock:
            accounts = dict(self._read())
            if folded not in accounts:
                raise AccountError(f"no staff account '{folded}'")
            accounts[folded] = {**accounts[folded], "sessions": secrets.token_hex(8)}
            self._write(accounts)
        log.info("every session of staff account %s ended", folded)

    def remove(self, name: str) -> bool:
        """Remove the account; False when there was none."""
        folded = check_name(name)
        with self._lock:
            accounts = dict(self._read())
            if accounts.pop(folded, None) is None:
                return False
            self._write(accounts)
        log.info("staff account %s removed", folded)
        return True

    def _write(self, accounts: dict[str, dict]) -> None:
        """Replace the file atomically, readable by its owner only (it holds password hashes)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".staff-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump({"accounts": accounts}, handle, indent=2, sort_keys=True)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temporary, 0o600)
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        self._cache = None
