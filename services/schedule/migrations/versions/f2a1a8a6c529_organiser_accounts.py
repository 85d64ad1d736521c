"""organiser accounts

Revision ID: f2a1a8a6c529
Revises: 5f9f88cf5501
Create Date: 2026-11-22 08:23:56.186531
"""

import sqlalchemy as sa
from alembic import op

import shared.db

revision = "f2a1a8a6c529"
down_revision = "5f9f88cf5501"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "organiser_accounts",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("created_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("password_changed_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_organiser_accounts")),
    )


def downgrade() -> None:
    op.drop_table("organiser_accounts")
