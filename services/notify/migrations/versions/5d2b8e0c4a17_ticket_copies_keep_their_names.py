"""ticket copies keep the name given when the ticket was booked

Revision ID: 5d2b8e0c4a17
Revises: eefe3cc9e599
Create Date: 2026-11-30 16:50:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "5d2b8e0c4a17"
down_revision = "eefe3cc9e599"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("name", sa.String(length=300), server_default="", nullable=False)
        )
    op.execute(
        "UPDATE tickets SET name = (SELECT attendees.name FROM attendees "
        "WHERE attendees.id = tickets.attendee_id)"
    )


def downgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_column("name")
