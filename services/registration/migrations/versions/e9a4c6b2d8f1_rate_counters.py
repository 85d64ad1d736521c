"""rate counters: registration's limits per client address and per email address, shared by
every worker and process

Revision ID: e9a4c6b2d8f1
Revises: c4e8a1f6d3b7
Create Date: 2026-11-30 20:40:00
"""

from alembic import op

from shared.migrate import create_rate_counters

revision = "e9a4c6b2d8f1"
down_revision = "c4e8a1f6d3b7"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_rate_counters()


def downgrade() -> None:
    op.drop_table("rate_counters")
