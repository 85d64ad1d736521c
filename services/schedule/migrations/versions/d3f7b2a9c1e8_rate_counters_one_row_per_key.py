"""rate counters: one row per key with the current and the previous window, and an expiry

The counters only slow down password guessing for a minute: they are dropped, not converted.

Revision ID: d3f7b2a9c1e8
Revises: a7c3e5f1b9d2
Create Date: 2026-11-30 20:40:00
"""

import sqlalchemy as sa
from alembic import op

from shared.migrate import create_rate_counters

revision = "d3f7b2a9c1e8"
down_revision = "a7c3e5f1b9d2"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_table("rate_counters")
    create_rate_counters()


def downgrade() -> None:
    op.drop_table("rate_counters")
    op.create_table(
        "rate_counters",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("window", sa.Integer(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", "window", name=op.f("pk_rate_counters")),
    )
