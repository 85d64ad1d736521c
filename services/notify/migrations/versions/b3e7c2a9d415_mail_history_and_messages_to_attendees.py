"""the mail history keeps the SMTP server's answer; organisers' messages to attendees (issue 13)

Revision ID: b3e7c2a9d415
Revises: ae289efb3a02
Create Date: 2026-12-02 10:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

import shared.db

revision = "b3e7c2a9d415"
down_revision = "ae289efb3a02"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outgoing_mail", schema=None) as batch_op:
        batch_op.add_column(sa.Column("smtp_reply", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("attendee_message_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_outgoing_mail_attendee_message_id"),
            ["attendee_message_id"],
            unique=False,
        )
    op.create_index("ix_outgoing_mail_event", "outgoing_mail", ["event_slug", "id"], unique=False)
    op.create_table(
        "attendee_messages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("event_slug", sa.String(length=100), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("include_waiting", sa.Boolean(), nullable=False),
        sa.Column("subject_de", sa.String(length=150), nullable=False),
        sa.Column("text_de", sa.Text(), nullable=False),
        sa.Column("subject_en", sa.String(length=150), nullable=False),
        sa.Column("text_en", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("recipient_count", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendee_messages")),
        sa.UniqueConstraint("token", name=op.f("uq_attendee_messages_token")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_attendee_messages_event_created",
        "attendee_messages",
        ["event_slug", "created_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_attendee_messages_event_created", table_name="attendee_messages")
    op.drop_table("attendee_messages")
    op.drop_index("ix_outgoing_mail_event", table_name="outgoing_mail")
    with op.batch_alter_table("outgoing_mail", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outgoing_mail_attendee_message_id"))
        batch_op.drop_column("attendee_message_id")
        batch_op.drop_column("smtp_reply")
