"""the audit log: who did what to an event, when (issue 12)

Revision ID: 9ddd4c5ebc04
Revises: 325da5854c5f
Create Date: 2026-11-30 23:56:31.304675
"""

import sqlalchemy as sa
from alembic import op

import shared.db

revision = "9ddd4c5ebc04"
down_revision = "325da5854c5f"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("event", sa.String(length=63), nullable=False),
        sa.Column("at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index("ix_audit_log_event_at", "audit_log", ["event", "at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_audit_log_event_at", table_name="audit_log")
    op.drop_table("audit_log")
