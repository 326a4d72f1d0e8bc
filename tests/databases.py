"""The two databases insights are recorded in: an SQLite file, and a private PostgreSQL server
(Debian's postgresql, which .ci/run installs) started once per test run."""
from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import uuid

import psycopg
import pytest

from helpers import free_port

DATABASES = ("sqlite", "postgresql")


def _postgres_bin() -> str | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return os.path.dirname(found[-1]) if found else None


@pytest.fixture(scope="session")
def postgres_server():
    """(host, port, user) of a throwaway PostgreSQL cluster: no fsync, trust on loopback only."""
    bindir = _postgres_bin()
    if bindir is None:
        pytest.fail("insights are tested on PostgreSQL too: install Debian's postgresql (.ci/run does)")
    # PostgreSQL refuses to run as root: as root, the cluster belongs to the postgres account,
    # in a folder it can reach (pytest's own temporary folders are private to root).
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    home = tempfile.mkdtemp(prefix="kb-postgres-")
    os.chmod(home, 0o755)
    if as_postgres:
        shutil.chown(home, "postgres", "postgres")
    data, port = os.path.join(home, "data"), free_port()
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.STDOUT}
    subprocess.run([*as_postgres, f"{bindir}/initdb", "-D", data, "-A", "trust", "-U", "kb", "-E", "UTF8", "--no-sync"], check=True, **quiet)
    options = f"-p {port} -k {home} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
    subprocess.run([*as_postgres, f"{bindir}/pg_ctl", "-D", data, "-o", options, "-l", os.path.join(home, "log"), "-w", "start"], check=True, **quiet)
    try:
        yield "127.0.0.1", port, "kb"
    finally:
        subprocess.run([*as_postgres, f"{bindir}/pg_ctl", "-D", data, "-m", "immediate", "stop"], **quiet)
        shutil.rmtree(home, ignore_errors=True)


def new_postgres_database(server) -> str:
    """A new empty database on the test cluster; its SQLAlchemy URL."""
    host, port, user = server
    name = f"kb_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(host=host, port=port, user=user, dbname="postgres", autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql+psycopg://{user}@{host}:{port}/{name}"


@pytest.fixture(params=DATABASES)
def analytics_url(request, tmp_path) -> str:
    """An empty insights database of each kind, as KB_ANALYTICS_DATABASE_URL would name it."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'insights.sqlite3'}"
    return new_postgres_database(request.getfixturevalue("postgres_server"))
