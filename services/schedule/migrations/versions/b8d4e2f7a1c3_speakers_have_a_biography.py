"""speakers have a biography

Revision ID: b8d4e2f7a1c3
Revises: e54234da6163
Create Date: 2026-12-02 10:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "b8d4e2f7a1c3"
down_revision = "e54234da6163"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("speakers") as batch:
        batch.add_column(sa.Column("biography", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("biography_en", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("speakers") as batch:
        batch.drop_column("biography_en")
        batch.drop_column("biography")
