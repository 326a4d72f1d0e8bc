"""The insights record on a real database: an SQLite file in the instance folder by default,
any SQLAlchemy URL (PostgreSQL for several nodes) when KB_ANALYTICS_DATABASE_URL is set.

The schema is Alembic's to manage: the first use of a store brings its database up to the
newest migration, under a lock, so that workers and nodes starting together migrate once.
"""
from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from typing import Mapping

from alembic import command
from alembic.config import Config
from filelock import FileLock
from sqlalchemy import create_engine, delete, event, text
from sqlalchemy.engine import Connection, Engine

from kb.insights.tables import TABLES

SQLITE_FILE = "insights.sqlite3"
#: How long an SQLite write waits for another worker's write before it fails.
SQLITE_BUSY_SECONDS = 5.0
#: Any fixed number: PostgreSQL's advisory lock that serialises migrations across nodes.
MIGRATION_LOCK_KEY = 7_360_221
#: Alembic keeps the running migration in module-level proxies (alembic.op, alembic.context):
#: two stores of one process (an app's and a command's, or tests') must not migrate at once.
_ALEMBIC_IN_PROCESS = threading.Lock()


def default_url(instance_dir: str | Path) -> str:
    return f"sqlite:///{Path(instance_dir) / SQLITE_FILE}"


class EventStore:
    def __init__(self, url: str, busy_seconds: float = SQLITE_BUSY_SECONDS):
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            self.engine: Engine = create_engine(url, connect_args={"timeout": busy_seconds})
            event.listen(self.engine, "connect", _sqlite_pragmas)
        else:
            self.engine = create_engine(url, pool_pre_ping=True)
        self._migrated = False
        self._lock = threading.Lock()

    def migrate(self) -> None:
        """Bring the database up to the newest schema (once per process; cheap after that)."""
        with self._lock:
            if self._migrated:
                return
            database = self.engine.url.database if self.is_sqlite else None
            if database and database != ":memory:":
                # Workers sharing one SQLite file migrate it one at a time.
                Path(database).parent.mkdir(parents=True, exist_ok=True)
                with FileLock(f"{database}.migrate.lock"):
                    self._upgrade()
            else:
                self._upgrade()
            self._migrated = True

    def _upgrade(self) -> None:
        with _ALEMBIC_IN_PROCESS, self.engine.begin() as connection:
            if connection.dialect.name == "postgresql":  # released when the transaction ends
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            config = Config()
            config.set_main_option("script_location", "kb.insights:migrations")
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def write(self, rows: Mapping[str, list[dict]]) -> None:
        """Insert rows (table name -> rows) in one transaction."""
        self.migrate()
        with self.engine.begin() as connection:
            for name, table_rows in rows.items():
                if table_rows:
                    connection.execute(TABLES[name].insert(), table_rows)

    def forget_before(self, day: dt.date) -> int:
        """Delete every record from before `day`; how many rows went."""
        self.migrate()
        removed = 0
        with self.engine.begin() as connection:
            for table in TABLES.values():
                removed += connection.execute(delete(table).where(table.c.day < day)).rowcount
        return removed

    @property
    def url_shown(self) -> str:
        """The URL without its password, for messages."""
        return self.engine.url.render_as_string(hide_password=True)

    def connect(self) -> Connection:
        """A connection for reading reports (the caller closes it)."""
        self.migrate()
        return self.engine.connect()

    def dispose(self) -> None:
        self.engine.dispose()


def _sqlite_pragmas(connection, _record) -> None:
    # WAL lets reports read while a worker writes; several workers share one file.
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()

