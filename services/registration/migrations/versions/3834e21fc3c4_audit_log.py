"""the audit log: who did what to an event, when (issue 12)

Revision ID: 3834e21fc3c4
Revises: 850c6317e556
Create Date: 2026-11-30 23:56:39.139648
"""

import sqlalchemy as sa
from alembic import op

import shared.db

revision = "3834e21fc3c4"
down_revision = "850c6317e556"
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
