"""ids are never reused: SQLite tables whose ids other services copy get AUTOINCREMENT

Revision ID: c4e8a1f6d3b7
Revises: f6aaf9f92e0d
Create Date: 2026-11-30 17:00:00.000000
"""

from shared.migrate import allow_reused_ids, never_reuse_ids

revision = "c4e8a1f6d3b7"
down_revision = "f6aaf9f92e0d"
branch_labels = None
depends_on = None

TABLES = ("attendees", "tickets")


def upgrade() -> None:
    never_reuse_ids(*TABLES)


def downgrade() -> None:
    allow_reused_ids(*TABLES)
