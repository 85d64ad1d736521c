"""token expiry, ended organiser sessions, login attempt counters

Existing tokens get the default lifetime of new ones, counted from their creation.

Revision ID: 99e170db42eb
Revises: f2a1a8a6c529
Create Date: 2026-11-30 16:50:00
"""

from datetime import timedelta

import sqlalchemy as sa
from alembic import op

import shared.db

revision = "99e170db42eb"
down_revision = "f2a1a8a6c529"
branch_labels = None
depends_on = None

TOKEN_DAYS = 180


def upgrade() -> None:
    op.add_column(
        "api_tokens", sa.Column("expires_at", shared.db.UTCDateTime(timezone=True), nullable=True)
    )
    tokens = sa.table(
        "api_tokens",
        sa.column("token_hash", sa.String),
        sa.column("created_at", shared.db.UTCDateTime(timezone=True)),
        sa.column("expires_at", shared.db.UTCDateTime(timezone=True)),
    )
    connection = op.get_bind()
    for token_hash, created_at in connection.execute(
        sa.select(tokens.c.token_hash, tokens.c.created_at)
    ).all():
        connection.execute(
            tokens.update()
            .where(tokens.c.token_hash == token_hash)
            .values(expires_at=created_at + timedelta(days=TOKEN_DAYS))
        )
    with op.batch_alter_table("api_tokens") as batch:
        batch.alter_column(
            "expires_at", existing_type=shared.db.UTCDateTime(timezone=True), nullable=False
        )

    op.create_table(
        "organiser_session_revocations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account", sa.String(length=100), nullable=False),
        sa.Column("session_id", sa.String(length=64), nullable=True),
        sa.Column("issued_before", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organiser_session_revocations")),
    )
    op.create_index(
        op.f("ix_organiser_session_revocations_account"),
        "organiser_session_revocations",
        ["account"],
    )
    op.create_index(
        op.f("ix_organiser_session_revocations_revoked_at"),
        "organiser_session_revocations",
        ["revoked_at"],
    )

    op.create_table(
        "rate_counters",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("window", sa.Integer(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", "window", name=op.f("pk_rate_counters")),
    )


def downgrade() -> None:
    op.drop_table("rate_counters")
    op.drop_table("organiser_session_revocations")
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("expires_at")
