"""events keep how registration starts out

Revision ID: e54234da6163
Revises: 9ddd4c5ebc04
Create Date: 2026-12-01 00:16:02.284836
"""

import sqlalchemy as sa
from alembic import op

revision = "e54234da6163"
down_revision = "9ddd4c5ebc04"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("events", sa.Column("confirm_email", sa.Boolean(), nullable=True))
    op.add_column(
        "events", sa.Column("release_no_shows_after_minutes", sa.Integer(), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("events", "release_no_shows_after_minutes")
    op.drop_column("events", "confirm_email")
