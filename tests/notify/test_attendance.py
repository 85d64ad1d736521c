"""Ticket and attendee messages: the mails they cause, personal feeds, revocation, erasure."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import select, update

from services.notify import calendars
from services.notify.models import Attendee, ErasedAttendee, Feed, OutgoingMail, Ticket
from services.notify.retention import scrub_finished_mail
from shared.db import utcnow
from tests.support.notify import (
    assert_valid_calendar,
    berlin,
    calendar_parts,
    events_of,
    parse_mail,
)


@pytest.fixture
def programme(deliver, release_data):
    deliver("schedule.release.published", release_data(1))


def personal_feed(notify_db, token: str) -> bytes | None:
    with notify_db.transaction() as session:
        return session.scalar(select(Feed.body).where(Feed.kind == "personal", Feed.key == token))


def structure(message) -> list[str]:
    """The MIME tree as 'depth:content-type' lines."""

    def walk(part, depth):
        yield f"{depth}:{part.get_content_type()}"
        if part.is_multipart():
            for child in part.iter_parts():
                yield from walk(child, depth + 1)

    return list(walk(message, 0))


def test_confirmation_is_an_invitation_with_qr_code(programme, deliver, ticket_data, mails):
    deliver("registration.ticket.confirmed", ticket_data())

    (mail,) = mails(kind="ticket_confirmed")
    message = parse_mail(mail.message)
    assert structure(message) == [
        "0:multipart/mixed",
        "1:multipart/alternative",
        "2:text/plain",
        "2:multipart/related",
        "3:text/html",
        "3:image/png",
        "2:text/calendar",
        "1:application/ics",
    ]
    assert message["To"].addresses[0].addr_spec == "anna1@example.org"
    assert message["Content-Language"] == "de"
    text = message.get_body(("plain",)).get_content()
    assert "TKT-000001" in text
    assert "https://todo.example/manage/secret-1" in text
    assert "webcal://127.0.0.1:8003/todo2024/calendar/personal/feedtoken-1-" in text
    assert "https://todo-dortmund.de/live" in text
    html = message.get_body(("html",)).get_content()
    image = next(p for p in message.walk() if p.get_content_type() == "image/png")
    assert f"cid:{image['Content-ID'].strip('<>')}" in html
    # A scanner at the door reads the ticket code from it.
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(image.get_content())))
    assert [barcode.text for barcode in decoded] == ["TKT-000001"]

    (alternative,) = [p for p in calendar_parts(message)]
    assert alternative.get_param("method") == "REQUEST"
    assert alternative.get_content_charset() == "utf-8"
    attachment = next(message.iter_attachments())
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_content() == alternative.get_content().encode()
    (event,) = events_of(assert_valid_calendar(attachment.get_content()))
    assert str(event["organizer"]) == "mailto:programm@todo-dortmund.de"
    assert str(event["attendee"]) == "mailto:anna1@example.org"
    assert event["dtstamp"].dt.utcoffset().total_seconds() == 0


def test_english_attendee_gets_english_mail(programme, deliver, ticket_data, mails):
    deliver("registration.ticket.confirmed", ticket_data(locale="en"))

    message = parse_mail(mails()[0].message)
    assert message["Subject"] == "Your seat is confirmed: Session 1: Work 4.0"
    assert "Show it at the entrance" in message.get_body(("plain",)).get_content()
    (event,) = events_of(assert_valid_calendar(calendar_parts(message)[0].get_content()))
    assert str(event["summary"]) == "Session 1: Work 4.0"


@pytest.mark.parametrize(
    ("type_name", "status", "kind", "method", "expected"),
    [
        ("registration.ticket.waitlisted", "waitlisted", "ticket_waitlisted", None, "Platz 3"),
        (
            "registration.ticket.waitlisted",
            "waitlisted",
            "ticket_waitlisted",
            None,
            "https://todo.example/confirm/x",
        ),
        ("registration.ticket.held", "held", "ticket_held", None, "https://todo.example/confirm/x"),
        ("registration.ticket.promoted", "confirmed", "ticket_promoted", "REQUEST", "TKT-000001"),
    ],
)
def test_each_ticket_message_sends_its_mail(
    programme, deliver, ticket_data, mails, type_name, status, kind, method, expected
):
    deliver(type_name, ticket_data(status=status))

    (mail,) = mails()
    assert mail.kind == kind
    message = parse_mail(mail.message)
    assert expected in message.get_body(("plain",)).get_content()
    assert [p.get_param("method") for p in calendar_parts(message)] == ([method] if method else [])


def test_cancellation_confirmed_removes_the_calendar_entry(
    programme, deliver, ticket_data, mails, notify_db
):
    deliver("registration.ticket.confirmed", ticket_data())
    deliver(
        "registration.ticket.cancelled", {**ticket_data(status="cancelled"), "reason": "attendee"}
    )

    (mail,) = mails(kind="ticket_cancelled")
    (part,) = calendar_parts(parse_mail(mail.message))
    assert part.get_param("method") == "CANCEL"
    (event,) = events_of(assert_valid_calendar(part.get_content()))
    assert str(event["status"]) == "CANCELLED"
    assert (
        events_of(assert_valid_calendar(personal_feed(notify_db, "feedtoken-1-aaaaaaaaaaaaaaaa")))
        == []
    )


def test_cancellation_because_the_session_was_cancelled_sends_no_second_mail(
    programme, deliver, ticket_data, mails
):
    deliver("registration.ticket.confirmed", ticket_data())
    deliver(
        "registration.ticket.cancelled",
        {**ticket_data(status="cancelled"), "reason": "session_cancelled"},
    )
    assert mails(kind="ticket_cancelled") == []


@pytest.mark.parametrize(
    ("locale", "minutes", "subject", "expected"),
    [
        (
            "de",
            15,
            "Platz freigegeben: Session 1: Arbeit 4.0",
            "Dein Ticket war 15 Minuten nach Beginn noch nicht eingecheckt. Damit der Platz "
            "nicht leer bleibt, haben wir ihn für Gäste an der Tür freigegeben.",
        ),
        (
            "en",
            15,
            "Seat released: Session 1: Work 4.0",
            "Your ticket had not been checked in by 15 minutes after the start, so we released "
            "your seat to people at the door rather than leave it empty.",
        ),
        ("de", 0, None, "Dein Ticket war zu Beginn noch nicht eingecheckt."),
        ("en", 0, None, "had not been checked in by the start, so we"),
    ],
)
def test_no_show_mail_says_the_seat_went_to_people_at_the_door(
    programme, deliver, ticket_data, mails, locale, minutes, subject, expected
):
    data = {
        **ticket_data(status="cancelled", locale=locale),
        "reason": "no_show",
        "released_after_minutes": minutes,
    }
    deliver("registration.ticket.cancelled", data)

    (mail,) = mails(kind="ticket_cancelled")
    message = parse_mail(mail.message)
    assert message["Content-Language"] == locale
    if subject is not None:
        assert message["Subject"] == subject
    assert expected in message.get_body(("plain",)).get_content()
    assert expected in message.get_body(("html",)).get_content()


@pytest.mark.parametrize(
    ("locale", "subject", "sentence"),
    [
        (
            "de",
            "Buchung storniert: Session 1",
            "Das Organisationsteam hat deine Buchung storniert.",
        ),
        ("en", "Booking cancelled: Session 1", "The organisers have cancelled your booking."),
    ],
)
def test_a_ticket_the_organisers_cancelled_says_so_in_subject_and_text(
    programme, deliver, ticket_data, mails, locale, subject, sentence
):
    data = {**ticket_data(status="cancelled", locale=locale), "reason": "organiser"}
    deliver("registration.ticket.cancelled", data)
    (mail,) = mails(kind="ticket_cancelled")
    message = parse_mail(mail.message)
    assert message["Subject"].startswith(subject)
    assert sentence in message.get_body(("plain",)).get_content()


def test_the_manage_link_goes_once_per_interval_unless_an_organiser_resends_it(
    programme, deliver, ticket_data, mails
):
    attendee = ticket_data()["attendee"]
    for by_organiser in (False, False, True):
        deliver(
            "registration.attendee.link_requested",
            {"event": "todo2024", "attendee": attendee, "by_organiser": by_organiser},
        )
    assert len(mails(kind="manage_link")) == 2


def test_check_in_sends_no_mail(programme, deliver, ticket_data, mails):
    deliver("registration.ticket.confirmed", ticket_data())
    deliver(
        "registration.ticket.checked_in",
        {**ticket_data(), "checked_in_at": "2024-04-29T17:55:00+02:00"},
    )
    assert [m.kind for m in mails()] == ["ticket_confirmed"]


def test_older_ticket_message_arriving_late_sends_nothing(
    programme, deliver, ticket_data, mails, notify_db
):
    from shared.messages import build_envelope

    confirmed = build_envelope("registration.ticket.confirmed", ticket_data(), None)
    waitlisted = build_envelope(
        "registration.ticket.waitlisted", ticket_data(status="waitlisted"), None
    )
    promoted = build_envelope("registration.ticket.promoted", ticket_data(), None)
    deliver("registration.ticket.waitlisted", None, envelope=waitlisted)
    deliver("registration.ticket.promoted", None, envelope=promoted)
    # The first confirmation (before the waitlisting) is older than both; it changes nothing.
    deliver("registration.ticket.confirmed", None, envelope=confirmed)

    assert [m.kind for m in mails()] == ["ticket_waitlisted", "ticket_promoted"]
    with notify_db.transaction() as session:
        assert session.get(Ticket, 1).status == "confirmed"


def test_personal_feed_lists_booked_sessions_and_new_token_revokes_the_old(
    programme, deliver, ticket_data, notify_db
):
    deliver("registration.ticket.confirmed", ticket_data())
    old_token = "feedtoken-1-aaaaaaaaaaaaaaaa"
    (event,) = events_of(assert_valid_calendar(personal_feed(notify_db, old_token)))
    assert str(event["uid"]) == "session-1@todo.example"

    attendee = ticket_data(feed_token="feedtoken-1-bbbbbbbbbbbbbbbb")["attendee"]
    deliver("registration.attendee.updated", {"event": "todo2024", "attendee": attendee})

    assert personal_feed(notify_db, old_token) is None
    assert personal_feed(notify_db, "feedtoken-1-bbbbbbbbbbbbbbbb") is not None


def test_personal_feeds_rendered_once_for_many_show_each_later_change(
    programme, deliver, ticket_data, notify_db, release_data, session_info, monkeypatch
):
    """The consumer keeps the feeds it rendered by what they depend on: a rush of tickets for
    one session renders one body, and a release that moves the session or renames the event,
    or a waiting-list place instead of a seat, gives new ones."""
    rendered = []
    render = calendars.feed
    monkeypatch.setattr(calendars, "feed", lambda *a, **k: rendered.append(a) or render(*a, **k))
    for attendee in (1, 2):
        deliver("registration.ticket.confirmed", ticket_data(attendee, attendee))
    assert len(rendered) == 1
    first, second = (personal_feed(notify_db, f"feedtoken-{n}-aaaaaaaaaaaaaaaa") for n in (1, 2))
    assert first == second
    (event,) = events_of(assert_valid_calendar(first))
    assert event["dtstart"].dt.hour == 18

    moved = release_data(
        2,
        sessions=[
            session_info(
                1, starts_at=berlin("2024-04-29", "20:00"), ends_at=berlin("2024-04-29", "21:00")
            )
        ],
    )
    deliver("schedule.release.published", moved)
    deliver("registration.ticket.waitlisted", ticket_data(3, 3, status="waitlisted"))
    for attendee in (1, 3):
        (event,) = events_of(
            assert_valid_calendar(
                personal_feed(notify_db, f"feedtoken-{attendee}-aaaaaaaaaaaaaaaa")
            )
        )
        assert event["dtstart"].dt.hour == 20
    assert str(event["status"]) == "TENTATIVE"

    renamed = release_data(
        3,
        sessions=[
            session_info(
                1, starts_at=berlin("2024-04-29", "20:00"), ends_at=berlin("2024-04-29", "21:00")
            )
        ],
    )
    renamed["event"]["title"] = "to:DO 2025"
    deliver("schedule.release.published", renamed)
    deliver("registration.ticket.confirmed", ticket_data(4, 4))
    assert b"to:DO 2025" in personal_feed(notify_db, "feedtoken-4-aaaaaaaaaaaaaaaa")


def stored_mails(notify_db) -> list[OutgoingMail]:
    """The mail rows as stored (nothing composed), oldest first."""
    with notify_db.transaction() as session:
        rows = list(session.scalars(select(OutgoingMail).order_by(OutgoingMail.id)))
        session.expunge_all()
    return rows


def test_erasure_confirms_then_deletes_personal_data(
    programme, deliver, ticket_data, mails, notify_db, mail_worker, smtp_server
):
    # One mail sent, one refused for good, one waiting for another try, one not sent yet.
    deliver("registration.ticket.confirmed", ticket_data())
    mail_worker.deliver_due()
    deliver("registration.ticket.waitlisted", ticket_data(ticket_id=2, status="waitlisted"))
    smtp_server.handler.reply = "550 5.1.1 <anna1@example.org>: Recipient address rejected"
    mail_worker.deliver_due()
    deliver("registration.ticket.promoted", ticket_data(ticket_id=2))
    smtp_server.handler.reply = "450 4.2.2 <anna1@example.org>: Mailbox busy"
    mail_worker.deliver_due()
    deliver(
        "registration.ticket.cancelled",
        {**ticket_data(ticket_id=2, status="cancelled"), "reason": "attendee"},
    )
    assert [m.state for m in stored_mails(notify_db)] == ["sent", "failed", "retrying", "queued"]

    # Ids only: the address of the last mail comes from notify's own copy.
    deliver("registration.attendee.erased", {"event": "todo2024", "attendee_id": 1})
    # A late ticket message must not bring the data back.
    deliver("registration.ticket.promoted", ticket_data())

    (confirmation,) = mails(kind="attendee_erased")
    assert confirmation.recipient == "anna1@example.org"
    assert confirmation.scrub_after_send
    *older, _ = stored_mails(notify_db)
    assert [m.state for m in older] == ["sent", "failed", "failed", "failed"]
    for mail in older:
        assert (mail.recipient, mail.content, mail.message) == (None, None, None)
        assert mail.last_error in (None, "attendee erased before delivery")
    with notify_db.transaction() as session:
        assert session.get(Attendee, 1) is None
        assert session.scalars(select(Ticket)).all() == []
        assert session.get(ErasedAttendee, 1) is not None
        assert session.scalars(select(Feed).where(Feed.kind == "personal")).all() == []

    smtp_server.handler.reply = None
    mail_worker.deliver_due(now=utcnow() + timedelta(days=1))
    # Only the confirmation went out, and it is scrubbed now that it is sent.
    assert [m["Subject"] for m in smtp_server.messages][1:] == [
        parse_mail(confirmation.message)["Subject"]
    ]
    assert stored_mails(notify_db)[-1].recipient is None


def test_erasure_confirmation_that_fails_is_scrubbed_too(
    programme, deliver, ticket_data, notify_db, mail_worker, smtp_server
):
    deliver("registration.ticket.confirmed", ticket_data())
    deliver("registration.attendee.erased", {"event": "todo2024", "attendee_id": 1})
    smtp_server.handler.reply = "550 5.1.1 Recipient address rejected"
    mail_worker.deliver_due()

    confirmation = stored_mails(notify_db)[-1]
    assert (confirmation.kind, confirmation.state) == ("attendee_erased", "failed")
    assert (confirmation.recipient, confirmation.content, confirmation.message) == (None,) * 3


def test_erasure_of_an_attendee_notify_never_heard_of_writes_to_nobody(deliver, notify_db):
    deliver("registration.attendee.erased", {"event": "todo2024", "attendee_id": 7})
    assert stored_mails(notify_db) == []
    with notify_db.transaction() as session:
        assert session.get(ErasedAttendee, 7) is not None


def test_finished_mail_keeps_only_its_delivery_record_after_the_retention_period(
    programme, deliver, ticket_data, notify_db, mail_worker, smtp_server
):
    retention = timedelta(days=30)
    deliver("registration.ticket.confirmed", ticket_data(attendee_id=1, ticket_id=1))
    mail_worker.deliver_due()
    deliver("registration.ticket.confirmed", ticket_data(attendee_id=2, ticket_id=2))
    smtp_server.handler.reply = "550 5.1.1 Recipient address rejected"
    mail_worker.deliver_due()
    smtp_server.handler.reply = None
    deliver("registration.ticket.confirmed", ticket_data(attendee_id=3, ticket_id=3))
    deliver("registration.ticket.confirmed", ticket_data(attendee_id=4, ticket_id=4))
    mail_worker.deliver_due()
    deliver("registration.ticket.confirmed", ticket_data(attendee_id=5, ticket_id=5))
    assert [m.state for m in stored_mails(notify_db)] == [
        "sent",
        "failed",
        "sent",
        "sent",
        "queued",
    ]
    with notify_db.transaction() as session:
        # Mails 1, 2 and 5 were queued long ago; mail 5 has not gone out yet.
        session.execute(
            update(OutgoingMail)
            .where(OutgoingMail.id.in_((1, 2, 5)))
            .values(created_at=utcnow() - retention - timedelta(days=1))
        )
        assert scrub_finished_mail(session, utcnow(), retention) == 2

    scrubbed, recent = stored_mails(notify_db)[:2], stored_mails(notify_db)[2:]
    for mail in scrubbed:
        assert (mail.recipient, mail.content, mail.message, mail.last_error) == (None,) * 4
        assert mail.kind == "ticket_confirmed" and mail.attempts == 1
    assert [mail.state for mail in scrubbed] == ["sent", "failed"] and scrubbed[0].sent_at
    assert all(mail.recipient and mail.content for mail in recent)


def test_crlf_in_names_and_titles_does_not_reach_headers(
    deliver, release_data, session_info, ticket_data, mails
):
    deliver(
        "schedule.release.published",
        release_data(1, sessions=[session_info(1, title="Talk\r\nBcc: victim@evil.example")]),
    )
    deliver(
        "registration.ticket.confirmed",
        ticket_data(name="Eve\r\nBcc: victim@evil.example\r\nX-Evil: 1"),
    )

    raw = mails()[0].message
    headers = raw.split(b"\r\n\r\n", 1)[0]
    assert b"\r\nBcc:" not in headers and b"\nBcc:" not in headers
    assert b"\r\nX-Evil" not in headers
    message = parse_mail(raw)
    assert message["Bcc"] is None
    assert "\n" not in message["Subject"] and "\n" not in str(message["To"])
    assert message["To"].addresses[0].addr_spec == "anna1@example.org"


def test_ticket_before_its_session_is_known_is_retried(deliver, ticket_data, mails):
    from services.notify.attendance import SessionNotKnownYet

    with pytest.raises(SessionNotKnownYet):
        deliver("registration.ticket.confirmed", ticket_data())
    assert mails() == []


def test_personal_feed_shows_waitlisted_sessions_as_tentative(
    deliver, release_data, session_info, ticket_data, notify_db
):
    deliver(
        "schedule.release.published", release_data(1, sessions=[session_info(1), session_info(2)])
    )
    deliver("registration.ticket.confirmed", ticket_data(ticket_id=1, session=1))
    deliver(
        "registration.ticket.waitlisted", ticket_data(ticket_id=2, session=2, status="waitlisted")
    )

    events = events_of(
        assert_valid_calendar(personal_feed(notify_db, "feedtoken-1-aaaaaaaaaaaaaaaa"))
    )
    assert {str(e["uid"]): str(e["status"]) for e in events} == {
        "session-1@todo.example": "CONFIRMED",
        "session-2@todo.example": "TENTATIVE",
    }


def test_live_status_is_accepted_and_changes_nothing(programme, deliver, mails):
    from shared.consumer import Outcome

    live = {"event": "todo2024", "stage": "stage-baseology", "session": 1, "status": "on_air"}
    assert deliver("schedule.live.updated", live) == Outcome.HANDLED
    assert mails() == []


def test_purged_event_forgets_its_attendees_without_mailing_them(
    programme, deliver, ticket_data, mails, notify_db
):
    deliver("registration.ticket.confirmed", ticket_data())
    deliver("registration.event.purged", {"event": "todo2024", "attendee_ids": [1]})
    deliver("registration.ticket.promoted", ticket_data())

    assert mails(kind="attendee_erased") == []
    (older,) = mails(kind="ticket_confirmed")
    assert older.recipient is None and older.message is None
    with notify_db.transaction() as session:
        assert session.get(Attendee, 1) is None
        assert session.scalars(select(Ticket)).all() == []
        assert session.scalars(select(Feed).where(Feed.kind == "personal")).all() == []


def test_a_new_ticket_code_is_printed_in_groups_and_scanned_whole(
    programme, deliver, ticket_data, mails
):
    data = ticket_data()
    data["ticket"]["code"] = "K7QFM2XDR9P"
    deliver("registration.ticket.confirmed", data)

    message = parse_mail(mails(kind="ticket_confirmed")[0].message)
    assert "Dein Ticket-Code: K7QF-M2XD-R9P" in message.get_body(("plain",)).get_content()
    assert "<strong>K7QF-M2XD-R9P</strong>" in message.get_body(("html",)).get_content()
    image = next(p for p in message.walk() if p.get_content_type() == "image/png")
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(image.get_content())))
    assert [barcode.text for barcode in decoded] == ["K7QFM2XDR9P"]
