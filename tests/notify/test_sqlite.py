"""The embedded default: the same handlers and delivery worker on SQLite, where claiming has no
SKIP LOCKED and the worker polls instead of listening."""

from __future__ import annotations

import pytest

from tests.support.notify import assert_valid_calendar, berlin, calendar_parts, parse_mail


@pytest.fixture
def notify_db(make_database):
    return make_database("notify", "sqlite")


def test_confirmation_and_move_are_delivered_on_sqlite(
    deliver, release_data, session_info, ticket_data, mails, mail_worker, smtp_server
):
    deliver("schedule.release.published", release_data(1))
    deliver("registration.ticket.confirmed", ticket_data())
    envelope = deliver.last_envelope
    deliver("registration.ticket.confirmed", None, envelope=envelope)
    moved = session_info(
        1, starts_at=berlin("2024-05-02", "18:00"), ends_at=berlin("2024-05-02", "19:00")
    )
    deliver("schedule.release.published", release_data(2, sessions=[moved]))

    assert mail_worker.deliver_due() == 2
    assert [m.state for m in mails()] == ["sent", "sent"]
    subjects = [m["Subject"] for m in smtp_server.messages]
    assert subjects == [
        "Dein Platz ist sicher: Session 1: Arbeit 4.0",
        "Geändert: Session 1: Arbeit 4.0",
    ]
    (update,) = [p for p in calendar_parts(smtp_server.messages[1]) if p.get_param("method")]
    calendar = assert_valid_calendar(update.get_content())
    assert next(iter(calendar.walk("VEVENT")))["sequence"] == 1


def test_retry_on_sqlite(deliver, release_data, ticket_data, mails, mail_worker, smtp_server):
    deliver("schedule.release.published", release_data(1))
    deliver("registration.ticket.confirmed", ticket_data())
    smtp_server.stop()
    mail_worker.deliver_due()
    assert mails()[0].state == "retrying"
    smtp_server.start()
    mail_worker.deliver_due(now=mails()[0].next_attempt_at)
    assert mails()[0].state == "sent"
    assert parse_mail(mails()[0].message)["To"].addresses[0].addr_spec == "anna1@example.org"
