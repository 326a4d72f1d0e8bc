"""The first record: searches, clicks and feedback.

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "searches",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("query", sa.String(200), nullable=False),
        sa.Column("results", sa.Integer, nullable=False),
        sa.Column("unmatched", sa.String(200), nullable=False),
        sa.Column("corrected", sa.Boolean, nullable=False),
        sa.Column("facets", sa.String(400), nullable=False),
        sa.Column("search_id", sa.String(64), nullable=False),
    )
    op.create_index("ix_searches_day", "searches", ["day"])
    op.create_index("ix_searches_search_id", "searches", ["search_id"])
    op.create_table(
        "clicks",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("search_id", sa.String(64), nullable=False),
        sa.Column("slug", sa.String(100), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
    )
    op.create_index("ix_clicks_day", "clicks", ["day"])
    op.create_index("ix_clicks_search_id", "clicks", ["search_id"])
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("slug", sa.String(100), nullable=False),
        sa.Column("helpful", sa.Boolean, nullable=False),
        sa.Column("reason", sa.String(32), nullable=True),
    )
    op.create_index("ix_feedback_day", "feedback", ["day"])


def downgrade() -> None:
    for table in ("feedback", "clicks", "searches"):
        op.drop_table(table)
