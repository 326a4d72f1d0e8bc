"""The insights record's tables (SQLAlchemy Core). The migrations in kb/insights/migrations
create them; this module is what the code reads and writes through.

Each row carries its day, never a time: a day is enough for every report, and a record
without times cannot be lined up with a server's logs to tell who searched.
"""
from __future__ import annotations

from sqlalchemy import Boolean, Column, Date, Integer, MetaData, String, Table

QUERY_LENGTH = 200
SLUG_LENGTH = 100

metadata = MetaData()

#: One row per recorded public search: the scrubbed, normalised query and what it found.
searches = Table(
    "searches",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("day", Date, nullable=False, index=True),
    Column("query", String(QUERY_LENGTH), nullable=False),
    Column("results", Integer, nullable=False),
    Column("unmatched", String(QUERY_LENGTH), nullable=False),  # space-separated words
    Column("corrected", Boolean, nullable=False),
    Column("facets", String(400), nullable=False),  # "key=value" pairs, space-separated
    Column("search_id", String(64), nullable=False, index=True),
)

#: One row per result a patient opened from a search.
clicks = Table(
    "clicks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("day", Date, nullable=False, index=True),
    Column("search_id", String(64), nullable=False, index=True),
    Column("slug", String(SLUG_LENGTH), nullable=False),
    Column("position", Integer, nullable=False),
)

#: One row per "Was this helpful?" answer.
feedback = Table(
    "feedback",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("day", Date, nullable=False, index=True),
    Column("slug", String(SLUG_LENGTH), nullable=False),
    Column("helpful", Boolean, nullable=False),
    Column("reason", String(32), nullable=True),
)

TABLES = {table.name: table for table in (searches, clicks, feedback)}
