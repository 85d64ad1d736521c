"""speakers have a photo, stored once per event under its SHA-256 (issue 14)

Revision ID: ae111f62d8ad
Revises: b8d4e2f7a1c3
Create Date: 2026-12-01 06:13:49.994590
"""

import sqlalchemy as sa
from alembic import op

import shared.db

revision = "ae111f62d8ad"
down_revision = "b8d4e2f7a1c3"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "speaker_photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_speaker_photos_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_speaker_photos")),
        sa.UniqueConstraint("event_id", "digest", name=op.f("uq_speaker_photos_event_id")),
    )
    with op.batch_alter_table("speakers") as batch:
        batch.add_column(sa.Column("photo_digest", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("speakers") as batch:
        batch.drop_column("photo_digest")
    op.drop_table("speaker_photos")
