"""organisations own events; tokens and accounts are members

Existing tokens and accounts get no organisation: platform administrators, as every one of them
was. Existing events get no owner: only platform administrators act on them until
`todo import-programme EVENT FILE --organisation SLUG` gives them one.

Revision ID: 850c6317e556
Revises: e9a4c6b2d8f1
Create Date: 2026-11-30 23:19:05.937891
"""

import sqlalchemy as sa
from alembic import op

import shared.db

revision = "850c6317e556"
down_revision = "e9a4c6b2d8f1"
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
    op.add_column("api_tokens", sa.Column("organisation", sa.String(length=63), nullable=True))
    op.add_column("api_tokens", sa.Column("role", sa.String(length=20), nullable=True))
    op.add_column("api_tokens", sa.Column("events", sa.JSON(), server_default="[]", nullable=False))


def downgrade() -> None:
    op.drop_column("api_tokens", "events")
    op.drop_column("api_tokens", "role")
    op.drop_column("api_tokens", "organisation")
    op.drop_index(op.f("ix_event_owners_organisation"), table_name="event_owners")
    op.drop_table("event_owners")
