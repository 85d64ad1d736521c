"""each ticket keeps the name given when it was booked; stored registration answers lose the
manage link and anything else about tickets booked before

Revision ID: 3c9e1f7a2b64
Revises: 8a5b4168e2ef
Create Date: 2026-11-30 16:40:00.000000
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "3c9e1f7a2b64"
down_revision = "8a5b4168e2ef"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("name", sa.String(length=200), server_default="", nullable=False)
        )
    op.execute(
        "UPDATE tickets SET name = (SELECT attendees.name FROM attendees "
        "WHERE attendees.id = tickets.attendee_id)"
    )
    # Answers stored for Idempotency-Key retries carried the manage link (a capability that
    # only the mail may deliver): keep them in today's shape, sessions and statuses only.
    answers = sa.table(
        "idempotent_responses",
        sa.column("scope", sa.String),
        sa.column("key", sa.String),
        sa.column("body", sa.Text),
    )
    connection = op.get_bind()
    stored = connection.execute(
        sa.select(answers.c.scope, answers.c.key, answers.c.body).where(
            answers.c.scope.like("registrations:%"), answers.c.body != ""
        )
    ).all()
    for scope, key, body in stored:
        old = json.loads(body)
        new = {
            "email": old.get("email"),
            "email_confirmation_required": old.get("email_confirmation_required", False),
            "tickets": [
                {"session": t["session"], "status": t["status"]} for t in old.get("tickets", [])
            ],
        }
        connection.execute(
            answers.update()
            .where(answers.c.scope == scope, answers.c.key == key)
            .values(body=json.dumps(new, separators=(",", ":")))
        )


def downgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_column("name")
