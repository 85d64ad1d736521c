"""Reminders before sessions: due windows, once per (ticket, offset), stream link."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest

from harness.infra import wait_until
from services.notify.mails import Mailer
from services.notify.reminders import ReminderScheduler, queue_due_reminders
from services.notify.settings import NotifySettings, parse_offsets
from shared.db import Database
from tests.support.notify import parse_mail

START = datetime.fromisoformat("2024-04-29T18:00:00+02:00")
OFFSETS = (timedelta(hours=24), timedelta(hours=1))


@pytest.fixture
def booked(deliver, release_data, ticket_data):
    deliver("schedule.release.published", release_data(1))
    deliver("registration.ticket.confirmed", ticket_data())
    deliver(
        "registration.ticket.waitlisted",
        ticket_data(attendee_id=2, ticket_id=2, status="waitlisted"),
    )


@pytest.fixture
def remind(notify_db, notify_config):
    mailer = Mailer(notify_config)

    def run(now: datetime) -> int:
        with notify_db.transaction() as session:
            return queue_due_reminders(session, mailer=mailer, offsets=OFFSETS, now=now)

    return run


def test_each_reminder_is_sent_once_per_ticket_and_offset(booked, remind, mails):
    assert remind(START - timedelta(hours=25)) == 0
    assert remind(START - timedelta(hours=23)) == 1
    assert remind(START - timedelta(hours=22)) == 0
    assert remind(START - timedelta(minutes=50)) == 1
    assert remind(START - timedelta(minutes=10)) == 0
    assert remind(START + timedelta(minutes=10)) == 0

    reminders = mails(kind="reminder")
    assert [m.recipient for m in reminders] == ["anna1@example.org"] * 2
    text = parse_mail(reminders[0].message).get_body(("plain",)).get_content()
    assert "https://todo-dortmund.de/live" in text
    assert "TKT-000001" in text


def test_late_booking_gets_the_due_reminders_one_at_a_time(booked, remind, mails):
    assert remind(START - timedelta(hours=2)) == 1
    assert remind(START - timedelta(minutes=30)) == 1
    assert len(mails(kind="reminder")) == 2


def test_cancelled_session_gets_no_reminder(
    booked, remind, deliver, release_data, session_info, mails
):
    deliver(
        "schedule.release.published",
        release_data(2, sessions=[session_info(1, status="cancelled")]),
    )
    assert remind(START - timedelta(hours=23)) == 0


def test_reminder_offsets_are_configurable():
    assert parse_offsets("1h, 2d,30m") == (
        timedelta(days=2),
        timedelta(hours=1),
        timedelta(minutes=30),
    )
    with pytest.raises(ValueError, match="REMINDER_OFFSETS"):
        parse_offsets("soon")


def test_the_scheduler_outlives_a_database_that_is_gone(notify_config, caplog):
    # Nothing listens on this port: every round fails as during a database restart.
    gone = Database("postgresql+psycopg://postgres@127.0.0.1:9/nothing", pool_size=1)
    settings = NotifySettings(reminder_poll_seconds=0.05)
    scheduler = ReminderScheduler(gone, Mailer(notify_config), settings)
    worker = threading.Thread(target=scheduler.run, daemon=True)
    worker.start()
    try:
        wait_until(
            lambda: caplog.text.count("database unavailable") >= 3, message="three failed rounds"
        )
        assert worker.is_alive()
    finally:
        scheduler.stop()
        worker.join(timeout=5)
        gone.dispose()
    assert not worker.is_alive()
