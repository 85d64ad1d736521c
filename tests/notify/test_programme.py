"""Releases: the copy of the programme, SEQUENCE, change and cancellation mails, feeds."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from services.notify.models import Feed, ProgrammeSession
from shared.consumer import Outcome
from tests.support.notify import (
    assert_valid_calendar,
    berlin,
    calendar_parts,
    events_of,
    parse_mail,
)


def sequence_of(notify_db, session_id: int) -> int:
    with notify_db.transaction() as session:
        return session.get(ProgrammeSession, session_id).sequence


def programme_feed(notify_db) -> bytes:
    with notify_db.transaction() as session:
        return session.scalar(select(Feed.body).where(Feed.kind == "programme"))


def book(deliver, ticket_data, attendees: int, session: int = 1, status: str = "confirmed"):
    for n in range(1, attendees + 1):
        deliver(
            "registration.ticket.confirmed"
            if status == "confirmed"
            else "registration.ticket.waitlisted",
            ticket_data(attendee_id=n, ticket_id=n, session=session, status=status),
        )


def test_first_release_stores_sessions_and_sends_nothing(deliver, release_data, mails, notify_db):
    deliver("schedule.release.published", release_data(1))

    assert sequence_of(notify_db, 1) == 0
    assert mails() == []
    calendar = assert_valid_calendar(programme_feed(notify_db))
    assert [str(e["uid"]) for e in events_of(calendar)] == ["session-1@todo.example"]


def test_moved_session_sends_one_update_per_attendee_with_higher_sequence(
    deliver, release_data, session_info, ticket_data, mails, notify_db
):
    deliver("schedule.release.published", release_data(1))
    book(deliver, ticket_data, 3)
    confirmations = mails(kind="ticket_confirmed")
    first_sequence = int(
        calendar_parts(parse_mail(confirmations[0].message))[0]
        .get_content()
        .split("SEQUENCE:")[1]
        .split()[0]
    )

    moved = session_info(
        1, starts_at=berlin("2024-04-30", "10:00"), ends_at=berlin("2024-04-30", "11:00")
    )
    release = release_data(2, sessions=[moved])
    deliver("schedule.release.published", release)
    # The same release again (redelivered under another message id) sends nothing more.
    deliver("schedule.release.published", release)

    updates = mails(kind="session_changed")
    assert sorted(m.recipient for m in updates) == [f"anna{n}@example.org" for n in (1, 2, 3)]
    assert sequence_of(notify_db, 1) == first_sequence + 1
    for mail in updates:
        (part,) = [p for p in calendar_parts(parse_mail(mail.message)) if p.get_param("method")]
        assert part.get_param("method") == "REQUEST"
        calendar = assert_valid_calendar(part.get_content())
        (event,) = events_of(calendar)
        assert event["sequence"] == first_sequence + 1
        assert event.DTSTART.isoformat() == "2024-04-30T10:00:00+02:00"
    feed_event = events_of(assert_valid_calendar(programme_feed(notify_db)))[0]
    assert feed_event["sequence"] == first_sequence + 1


def test_cancelled_session_sends_method_cancel(
    deliver, release_data, session_info, ticket_data, mails, notify_db
):
    deliver("schedule.release.published", release_data(1))
    book(deliver, ticket_data, 1)
    deliver(
        "schedule.release.published",
        release_data(2, sessions=[session_info(1, status="cancelled")]),
    )

    (mail,) = mails(kind="session_cancelled")
    message = parse_mail(mail.message)
    (part,) = [p for p in calendar_parts(message) if p.get_param("method")]
    assert part.get_param("method") == "CANCEL"
    (event,) = events_of(assert_valid_calendar(part.get_content()))
    assert str(event["status"]) == "CANCELLED"
    assert str(event["uid"]) == "session-1@todo.example"
    assert event["sequence"] == 1
    feed_event = events_of(assert_valid_calendar(programme_feed(notify_db)))[0]
    assert str(feed_event["status"]) == "CANCELLED"


def test_release_without_relevant_change_sends_nothing(
    deliver, release_data, session_info, ticket_data, mails, notify_db
):
    deliver(
        "schedule.release.published", release_data(1, sessions=[session_info(1), session_info(2)])
    )
    book(deliver, ticket_data, 2, session=1)
    # Session 2 moves, session 1 only gets a new abstract: nobody of session 1 hears about it.
    deliver(
        "schedule.release.published",
        release_data(
            2,
            sessions=[
                session_info(1, abstract="Neuer Text"),
                session_info(
                    2,
                    starts_at=berlin("2024-04-29", "20:00"),
                    ends_at=berlin("2024-04-29", "21:00"),
                ),
            ],
        ),
    )

    assert mails(kind="session_changed") == []
    assert sequence_of(notify_db, 1) == 0
    assert sequence_of(notify_db, 2) == 1
    assert b"Neuer Text" in programme_feed(notify_db)


def test_older_release_arriving_late_changes_nothing(
    deliver, release_data, session_info, ticket_data, mails, notify_db
):
    deliver(
        "schedule.release.published",
        release_data(2, sessions=[session_info(1, title="Neuer Titel")]),
    )
    book(deliver, ticket_data, 1)
    deliver("schedule.release.published", release_data(1))

    assert mails(kind="session_changed") == []
    with notify_db.transaction() as session:
        assert session.get(ProgrammeSession, 1).title == "Neuer Titel"


def test_redelivered_message_is_handled_once(deliver, release_data, ticket_data, mails):
    deliver("schedule.release.published", release_data(1))
    assert deliver("registration.ticket.confirmed", ticket_data()) == Outcome.HANDLED
    envelope = deliver.last_envelope
    assert deliver("registration.ticket.confirmed", None, envelope=envelope) == Outcome.DUPLICATE
    assert len(mails(kind="ticket_confirmed")) == 1


def test_session_missing_from_release_is_kept_as_cancelled(
    deliver, release_data, session_info, notify_db
):
    deliver(
        "schedule.release.published", release_data(1, sessions=[session_info(1), session_info(2)])
    )
    deliver("schedule.release.published", release_data(2, sessions=[session_info(1)]))

    events = {str(e["uid"]): e for e in events_of(assert_valid_calendar(programme_feed(notify_db)))}
    assert str(events["session-2@todo.example"]["status"]) == "CANCELLED"
    assert str(events["session-1@todo.example"]["status"]) == "CONFIRMED"


@pytest.mark.parametrize(
    ("starts", "ends", "changes", "mailed"),
    [
        # Five minutes late, start and end: calendars follow, nobody gets a mail.
        (("2024-04-29", "18:05"), ("2024-04-29", "19:05"), {}, False),
        # Exactly a quarter of an hour earlier is still quiet.
        (("2024-04-29", "17:45"), ("2024-04-29", "18:45"), {}, False),
        (("2024-04-29", "18:20"), ("2024-04-29", "19:20"), {}, True),
        # The start stays, but the session runs half an hour longer.
        (("2024-04-29", "18:00"), ("2024-04-29", "19:30"), {}, True),
        # A small shift together with another stage is a change worth a mail.
        (("2024-04-29", "18:05"), ("2024-04-29", "19:05"), {"stage": "other"}, True),
        (("2024-04-29", "18:05"), ("2024-04-29", "19:05"), {"title": "Neuer Titel"}, True),
    ],
)
def test_a_small_shift_updates_calendars_without_mail(
    deliver,
    release_data,
    session_info,
    ticket_data,
    mails,
    notify_db,
    starts,
    ends,
    changes,
    mailed,
):
    deliver("schedule.release.published", release_data(1))
    book(deliver, ticket_data, 2)
    if changes.get("stage"):
        stage = {**session_info(1)["stage"], "name": "planQ", "address": "Prinzenstraße 11"}
        changes = {"stage": stage}
    moved = session_info(1, starts_at=berlin(*starts), ends_at=berlin(*ends), **changes)
    deliver("schedule.release.published", release_data(2, sessions=[moved]))

    assert len(mails(kind="session_changed")) == (2 if mailed else 0)
    assert sequence_of(notify_db, 1) == 1
    (event,) = events_of(assert_valid_calendar(programme_feed(notify_db)))
    assert event["sequence"] == 1
    assert event.DTSTART.isoformat() == berlin(*starts)


def test_small_shifts_add_up_to_a_mail_measured_from_what_people_were_told(
    deliver, release_data, session_info, ticket_data, mails, notify_db
):
    deliver("schedule.release.published", release_data(1))
    book(deliver, ticket_data, 1)
    for number, minutes in enumerate((5, 10, 15, 20, 25), start=2):
        moved = session_info(
            1,
            starts_at=berlin("2024-04-29", f"18:{minutes:02d}"),
            ends_at=berlin("2024-04-29", f"19:{minutes:02d}"),
        )
        deliver("schedule.release.published", release_data(number, sessions=[moved]))
    # 18:05, 18:10, 18:15 are quiet; 18:20 is 20 minutes from the 18:00 they were told, so it
    # is mailed; 18:25 is 5 minutes from that mail's 18:20, quiet again.
    assert len(mails(kind="session_changed")) == 1
    assert sequence_of(notify_db, 1) == 5


def test_a_small_shift_onto_another_day_is_mailed(
    deliver, release_data, session_info, ticket_data, mails
):
    late = session_info(
        1, starts_at=berlin("2024-04-29", "23:55"), ends_at=berlin("2024-04-30", "00:55")
    )
    deliver("schedule.release.published", release_data(1, sessions=[late]))
    book(deliver, ticket_data, 1)
    later = session_info(
        1, starts_at=berlin("2024-04-30", "00:05"), ends_at=berlin("2024-04-30", "01:05")
    )
    deliver("schedule.release.published", release_data(2, sessions=[later]))

    assert len(mails(kind="session_changed")) == 1


def test_one_mail_per_ticket_holder_and_release_about_all_their_changed_sessions(
    deliver, release_data, session_info, ticket_data, mails
):
    sessions = [session_info(n) for n in (1, 2, 3)]
    deliver("schedule.release.published", release_data(1, sessions=sessions))
    # Anna 1 holds seats in sessions 1 and 2 and waits for session 3; Anna 2 (English) holds
    # one in session 1 only; Anna 3 holds seats in sessions 2 and 3.
    for ticket_id, (attendee, session, status, locale) in enumerate(
        [
            (1, 1, "confirmed", "de"),
            (1, 2, "confirmed", "de"),
            (1, 3, "waitlisted", "de"),
            (2, 1, "confirmed", "en"),
            (3, 2, "confirmed", "de"),
            (3, 3, "confirmed", "de"),
        ],
        1,
    ):
        deliver(
            f"registration.ticket.{status}",
            ticket_data(attendee, ticket_id, session=session, status=status, locale=locale),
        )
    release = release_data(
        2,
        sessions=[
            session_info(
                1, starts_at=berlin("2024-04-30", "10:00"), ends_at=berlin("2024-04-30", "11:00")
            ),
            session_info(2, status="cancelled"),
            session_info(3, title="Session 3: Arbeit 5.0"),
        ],
    )
    deliver("schedule.release.published", release)
    deliver("schedule.release.published", release)

    changes = mails(kind="session_changed") + mails(kind="session_cancelled")
    by_recipient = {mail.recipient: mail for mail in changes}
    assert len(changes) == len(by_recipient) == 3

    anna = parse_mail(by_recipient["anna1@example.org"].message)
    assert anna["Subject"] == "Geändert: 3 deiner Sessions bei to:DO – Dortmunds neue Arbeit"
    text = anna.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    # In the order of the programme as it is now: session 1 moved to the next morning.
    order = [
        text.index("Abgesagt – deine Buchung dafür ist damit hinfällig:\nSession 2"),
        text.index("Geändert – neuer Titel:\nSession 3: Arbeit 5.0"),
        text.index("Geändert – neue Zeit:\nSession 1"),
    ]
    assert order == sorted(order)
    assert "Bisher: Session 3: Arbeit 4.0" in text
    # An invitation for each seat, none for the waiting list's ticket.
    methods = {}
    for attachment in anna.iter_attachments():
        calendar = assert_valid_calendar(attachment.get_content())
        (event,) = events_of(calendar)
        methods[str(event["uid"])] = str(calendar["method"])
    assert methods == {"session-1@todo.example": "REQUEST", "session-2@todo.example": "CANCEL"}

    single = parse_mail(by_recipient["anna2@example.org"].message)
    assert single["Subject"] == "Changed: Session 1: Work 4.0"
    assert by_recipient["anna3@example.org"].kind == "session_changed"


def test_a_release_cancelling_all_of_a_ticket_holders_sessions_is_a_cancellation_mail(
    deliver, release_data, session_info, ticket_data, mails
):
    deliver(
        "schedule.release.published", release_data(1, sessions=[session_info(1), session_info(2)])
    )
    for session in (1, 2):
        deliver("registration.ticket.confirmed", ticket_data(1, session, session=session))
    deliver(
        "schedule.release.published",
        release_data(2, sessions=[session_info(n, status="cancelled") for n in (1, 2)]),
    )

    (mail,) = mails(kind="session_cancelled")
    message = parse_mail(mail.message)
    assert message["Subject"] == "Abgesagt: 2 deiner Sessions bei to:DO – Dortmunds neue Arbeit"
    assert mails(kind="session_changed") == []
