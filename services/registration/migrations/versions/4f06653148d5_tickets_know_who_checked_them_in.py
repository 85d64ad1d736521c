"""tickets know who checked them in

Revision ID: 4f06653148d5
Revises: 3834e21fc3c4
Create Date: 2026-12-01 00:38:49.479419
"""

import sqlalchemy as sa
from alembic import op

revision = "4f06653148d5"
down_revision = "3834e21fc3c4"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The organiser's token or account name; tickets checked in before stay without one.
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("checked_in_by", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_column("checked_in_by")
