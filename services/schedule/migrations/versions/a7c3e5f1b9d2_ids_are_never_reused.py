"""ids are never reused: SQLite tables whose ids other services copy get AUTOINCREMENT

Revision ID: a7c3e5f1b9d2
Revises: 99e170db42eb
Create Date: 2026-11-30 17:00:00.000000
"""

from shared.migrate import allow_reused_ids, never_reuse_ids

revision = "a7c3e5f1b9d2"
down_revision = "99e170db42eb"
branch_labels = None
depends_on = None

TABLES = ("events", "stages", "tracks", "speakers", "sessions", "releases")


def upgrade() -> None:
    never_reuse_ids(*TABLES)


def downgrade() -> None:
    allow_reused_ids(*TABLES)
