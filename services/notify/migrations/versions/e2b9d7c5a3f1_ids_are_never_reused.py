"""ids are never reused: SQLite tables whose ids other services copy get AUTOINCREMENT

Revision ID: e2b9d7c5a3f1
Revises: d6cdf3c3d9fb
Create Date: 2026-11-30 17:00:00.000000
"""

from shared.migrate import allow_reused_ids, never_reuse_ids

revision = "e2b9d7c5a3f1"
down_revision = "d6cdf3c3d9fb"
branch_labels = None
depends_on = None

TABLES = ("outgoing_mail",)


def upgrade() -> None:
    never_reuse_ids(*TABLES)


def downgrade() -> None:
    allow_reused_ids(*TABLES)
