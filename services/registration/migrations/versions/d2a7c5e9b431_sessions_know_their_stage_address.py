"""sessions know their stage's address

Revision ID: d2a7c5e9b431
Revises: 4f06653148d5
Create Date: 2026-12-01 07:45:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "d2a7c5e9b431"
down_revision = "4f06653148d5"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(
            sa.Column("stage_address", sa.String(300), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("stage_address")
