"""organisers invited by mail set their password with a one-time link

Revision ID: 325da5854c5f
Revises: ae5962730abe
Create Date: 2026-11-30 23:42:58.455863
"""

import sqlalchemy as sa
from alembic import op

import shared.db

revision = "325da5854c5f"
down_revision = "ae5962730abe"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("organiser_accounts", sa.Column("email", sa.String(length=320), nullable=True))
    op.add_column(
        "organiser_accounts", sa.Column("password_link_hash", sa.String(length=64), nullable=True)
    )
    op.add_column(
        "organiser_accounts",
        sa.Column("password_link_expires_at", shared.db.UTCDateTime(timezone=True), nullable=True),
    )
    op.create_index(
        op.f("ix_organiser_accounts_password_link_hash"),
        "organiser_accounts",
        ["password_link_hash"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_organiser_accounts_password_link_hash"), table_name="organiser_accounts")
    op.drop_column("organiser_accounts", "password_link_expires_at")
    op.drop_column("organiser_accounts", "password_link_hash")
    op.drop_column("organiser_accounts", "email")
