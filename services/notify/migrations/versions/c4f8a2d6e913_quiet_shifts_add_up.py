"""sessions remember the times ticket holders were last told by mail (small shifts add up)

Revision ID: c4f8a2d6e913
Revises: b3e7c2a9d415
Create Date: 2026-12-01 03:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

import shared.db

revision = "c4f8a2d6e913"
down_revision = "b3e7c2a9d415"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mailed_starts_at", shared.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("mailed_ends_at", shared.db.UTCDateTime(), nullable=True))
    # What they were told is not known for sessions from before: their current times.
    op.execute("UPDATE sessions SET mailed_starts_at = starts_at, mailed_ends_at = ends_at")


def downgrade() -> None:
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_column("mailed_ends_at")
        batch_op.drop_column("mailed_starts_at")
