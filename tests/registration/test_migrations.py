"""Migrating data of a running registration service: what it stored before a migration comes
out in today's shape."""

from __future__ import annotations

import json

import pytest
from alembic import command
from sqlalchemy import text

from shared.migrate import alembic_config
from shared.service import load_service

# The revision before tickets kept their names and stored answers lost the manage link.
BEFORE_TICKET_NAMES = "8a5b4168e2ef"


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
def test_ticket_names_and_stored_answers_without_the_manage_link(make_database, backend):
    db = make_database("registration", backend)
    config = alembic_config(load_service("registration"), db)
    command.downgrade(config, BEFORE_TICKET_NAMES)
    old_answer = {
        "attendee": 1,
        "email": "erika@example.org",
        "manage_url": "http://127.0.0.1:8002/todo2024/manage/secret-token",
        "email_confirmation_required": False,
        "tickets": [
            {
                "session": 7,
                "status": "waitlisted",
                "waitlist_position": 3,
                "hold_expires_at": None,
                "new": False,
            }
        ],
    }
    with db.engine.begin() as connection:
        for statement in (
            "INSERT INTO events (id, slug, title, timezone, starts_on, ends_on, release_number) "
            "VALUES (1, 'todo2024', 'to:DO', 'Europe/Berlin', '2030-05-06', '2030-05-10', 1)",
            "INSERT INTO sessions (id, event_id, guid, title, title_en, stage, starts_at, "
            "ends_at, registration_mode, capacity, status) VALUES (7, 1, 'g7', 'S', '', 'B', "
            "'2030-05-06 10:00:00+00:00', '2030-05-06 11:00:00+00:00', 'required', 1, "
            "'scheduled')",
            "INSERT INTO attendees (id, event_id, name, email, locale, consent_at, "
            "consent_version, manage_token, feed_token, created_at) VALUES (1, 1, 'Erika', "
            "'erika@example.org', 'de', '2030-01-01 00:00:00+00:00', 'v', 'secret-token', "
            "'feed-token', '2030-01-01 00:00:00+00:00')",
            "INSERT INTO tickets (id, attendee_id, session_id, status, code, requested_at) "
            "VALUES (1, 1, 7, 'waitlisted', 'code-1', '2030-01-01 00:00:00+00:00')",
        ):
            connection.execute(text(statement))
        connection.execute(
            text(
                "INSERT INTO idempotent_responses (scope, key, request_hash, status_code, body, "
                "created_at) VALUES ('registrations:todo2024', 'k', 'h', 201, :body, "
                "'2030-01-01 00:00:00+00:00')"
            ),
            {"body": json.dumps(old_answer)},
        )
    command.upgrade(config, "head")
    with db.engine.connect() as connection:
        assert connection.execute(text("SELECT name FROM tickets")).scalar() == "Erika"
        body = connection.execute(text("SELECT body FROM idempotent_responses")).scalar()
    assert json.loads(body) == {
        "email": "erika@example.org",
        "email_confirmation_required": False,
        "tickets": [{"session": 7, "status": "waitlisted"}],
    }
