"""Alembic's environment: migrations run on the connection kb.insights.store hands over,
inside its transaction (and its lock), never from an alembic.ini."""
from alembic import context

connection = context.config.attributes["connection"]
# Batch mode lets a later migration alter a table on SQLite too (it copies the table).
context.configure(connection=connection, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
