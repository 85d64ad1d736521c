"""stored registration answers know their attendee, so erasing the attendee deletes them

Revision ID: b7d41c9e2f05
Revises: 3c9e1f7a2b64
Create Date: 2026-11-30 16:55:00.000000
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "b7d41c9e2f05"
down_revision = "3c9e1f7a2b64"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("idempotent_responses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attendee_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_idempotent_responses_attendee_id"), ["attendee_id"], unique=False
        )
    # Answers stored so far name the address (scope "registrations:<event>"): find its attendee.
    answers = sa.table(
        "idempotent_responses",
        sa.column("scope", sa.String),
        sa.column("key", sa.String),
        sa.column("body", sa.Text),
        sa.column("attendee_id", sa.Integer),
    )
    events = sa.table("events", sa.column("id", sa.Integer), sa.column("slug", sa.String))
    attendees = sa.table(
        "attendees",
        sa.column("id", sa.Integer),
        sa.column("event_id", sa.Integer),
        sa.column("email", sa.String),
    )
    connection = op.get_bind()
    stored = connection.execute(
        sa.select(answers.c.scope, answers.c.key, answers.c.body).where(
            answers.c.scope.like("registrations:%"), answers.c.body != ""
        )
    ).all()
    for scope, key, body in stored:
        attendee_id = connection.scalar(
            sa.select(attendees.c.id)
            .join(events, events.c.id == attendees.c.event_id)
            .where(
                events.c.slug == scope.removeprefix("registrations:"),
                attendees.c.email == json.loads(body).get("email"),
            )
        )
        connection.execute(
            answers.update()
            .where(answers.c.scope == scope, answers.c.key == key)
            .values(attendee_id=attendee_id)
        )


def downgrade() -> None:
    with op.batch_alter_table("idempotent_responses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idempotent_responses_attendee_id"))
        batch_op.drop_column("attendee_id")
