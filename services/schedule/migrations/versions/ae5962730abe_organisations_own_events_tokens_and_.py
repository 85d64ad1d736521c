"""organisations own events; tokens and accounts are members

Existing tokens and accounts get no organisation: platform administrators, as every one of them
was. Existing events get no owner: only platform administrators act on them until
`todo import-programme EVENT FILE --organisation SLUG` gives them one.

Revision ID: ae5962730abe
Revises: d3f7b2a9c1e8
Create Date: 2026-11-30 23:19:04.777587
"""

import sqlalchemy as sa
from alembic import op

import shared.db

revision = "ae5962730abe"
down_revision = "d3f7b2a9c1e8"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "event_owners",
        sa.Column("event", sa.String(length=63), nullable=False),
        sa.Column("organisation", sa.String(length=63), nullable=True),
        sa.Column("changed_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event", name=op.f("pk_event_owners")),
    )
    op.create_index(
        op.f("ix_event_owners_organisation"), "event_owners", ["organisation"], unique=False
    )
    op.create_table(
        "organisations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=63), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisations")),
        sa.UniqueConstraint("slug", name=op.f("uq_organisations_slug")),
    )
    op.add_column("api_tokens", sa.Column("organisation", sa.String(length=63), nullable=True))
    op.add_column("api_tokens", sa.Column("role", sa.String(length=20), nullable=True))
    op.add_column("api_tokens", sa.Column("events", sa.JSON(), server_default="[]", nullable=False))
    op.add_column(
        "organiser_accounts", sa.Column("organisation", sa.String(length=63), nullable=True)
    )
    op.add_column("organiser_accounts", sa.Column("role", sa.String(length=20), nullable=True))
    op.add_column(
        "organiser_accounts", sa.Column("events", sa.JSON(), server_default="[]", nullable=False)
    )


def downgrade() -> None:
    op.drop_column("organiser_accounts", "events")
    op.drop_column("organiser_accounts", "role")
    op.drop_column("organiser_accounts", "organisation")
    op.drop_column("api_tokens", "events")
    op.drop_column("api_tokens", "role")
    op.drop_column("api_tokens", "organisation")
    op.drop_table("organisations")
    op.drop_index(op.f("ix_event_owners_organisation"), table_name="event_owners")
    op.drop_table("event_owners")
