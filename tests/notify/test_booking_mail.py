"""One registration of several sessions is one mail: every ticket with its status, a QR code
and an invitation per seat, the link to confirm the address once (issue 14)."""

from __future__ import annotations

import io

import pytest
import zxingcpp
from PIL import Image

from services.notify.attendance import BookingNotComplete
from shared.consumer import Outcome
from shared.messages import build_envelope
from tests.support.notify import (
    assert_valid_calendar,
    berlin,
    calendar_parts,
    events_of,
    parse_mail,
)

BOOKING_ID = "0f3c9a5e7b1d4c2a8e6f0b9d3a7c5e1f"
TYPES = {
    "confirmed": "registration.ticket.confirmed",
    "held": "registration.ticket.held",
    "waitlisted": "registration.ticket.waitlisted",
}


@pytest.fixture
def programme(deliver, release_data, session_info):
    """Three sessions; session 1 starts last, so the mail lists it last."""
    deliver(
        "schedule.release.published",
        release_data(
            1,
            sessions=[
                session_info(
                    1,
                    starts_at=berlin("2024-04-30", "18:00"),
                    ends_at=berlin("2024-04-30", "19:00"),
                ),
                session_info(2),
                session_info(
                    3,
                    starts_at=berlin("2024-04-29", "20:00"),
                    ends_at=berlin("2024-04-29", "21:00"),
                ),
            ],
        ),
    )


@pytest.fixture
def booking_messages(ticket_data):
    """booking_messages([(session, status), ...], **attendee) -> [(type, data)] of one
    registration, in the order registration publishes them (ticket id = session id)."""

    def make(tickets: list[tuple[int, str]], booking_id: str = BOOKING_ID, **attendee):
        ids = [session for session, _ in tickets]
        messages = []
        for index, (session, status) in enumerate(tickets):
            data = ticket_data(ticket_id=session, session=session, status=status, **attendee)
            data["booking"] = {
                "id": booking_id,
                "size": len(tickets),
                "index": index,
                "tickets": ids,
            }
            messages.append((TYPES[status], data))
        return messages

    return make


def structure(message) -> list[str]:
    def walk(part, depth):
        yield f"{depth}:{part.get_content_type()}"
        if part.is_multipart():
            for child in part.iter_parts():
                yield from walk(child, depth + 1)

    return list(walk(message, 0))


def qr_texts(message) -> list[str]:
    return [
        zxingcpp.read_barcodes(Image.open(io.BytesIO(part.get_content())))[0].text
        for part in message.walk()
        if part.get_content_type() == "image/png"
    ]


def test_two_seats_in_one_registration_are_one_mail_with_two_invitations(
    programme, deliver, booking_messages, mails
):
    first, last = booking_messages([(1, "confirmed"), (2, "confirmed")])
    deliver(*first)
    assert mails() == []
    deliver(*last)

    (mail,) = mails()
    assert mail.kind == "ticket_confirmed"
    message = parse_mail(mail.message)
    assert message["Subject"] == (
        "Deine Plätze sind sicher: 2 Sessions bei to:DO – Dortmunds neue Arbeit"
    )
    assert structure(message) == [
        "0:multipart/mixed",
        "1:multipart/alternative",
        "2:text/plain",
        "2:multipart/related",
        "3:text/html",
        "3:image/png",
        "3:image/png",
        "2:text/calendar",
        "1:application/ics",
        "1:application/ics",
    ]
    text = message.get_body(("plain",)).get_content()
    # In the order of their start: session 2 on Monday, session 1 on Tuesday.
    assert text.index("Session 2: Arbeit 4.0") < text.index("Session 1: Arbeit 4.0")
    assert text.count("Dein Platz ist sicher:") == 2
    assert "TKT-000002" in text and "TKT-000001" in text
    assert qr_texts(message) == ["TKT-000002", "TKT-000001"]
    html = message.get_body(("html",)).get_content()
    for part in message.walk():
        if part.get_content_type() == "image/png":
            assert f"cid:{part['Content-ID'].strip('<>')}" in html

    # The inline iTIP REQUEST is the first session's (one UID per REQUEST, RFC 5546 3.2.2);
    # each session's REQUEST is attached as a file of its own.
    (inline,) = calendar_parts(message)
    assert inline.get_param("method") == "REQUEST"
    (event,) = events_of(assert_valid_calendar(inline.get_content()))
    assert str(event["uid"]) == "session-2@todo.example"
    attachments = list(message.iter_attachments())
    assert [a.get_filename() for a in attachments] == ["invite-1.ics", "invite-2.ics"]
    uids = []
    for attachment in attachments:
        calendar = assert_valid_calendar(attachment.get_content())
        assert str(calendar["method"]) == "REQUEST"
        (event,) = events_of(calendar)
        assert str(event["attendee"]) == "mailto:anna1@example.org"
        uids.append(str(event["uid"]))
    assert uids == ["session-2@todo.example", "session-1@todo.example"]
    assert attachments[0].get_content() == inline.get_content().encode()


def test_a_mixed_booking_tells_each_status_and_asks_for_the_address_once(
    programme, deliver, booking_messages, mails
):
    for message in booking_messages([(1, "waitlisted"), (2, "held"), (3, "confirmed")]):
        deliver(*message)

    (mail,) = mails()
    assert mail.kind == "ticket_confirmed"
    message = parse_mail(mail.message)
    assert message["Subject"] == (
        "Bitte bestätige deine E-Mail-Adresse: deine Anmeldung bei to:DO – Dortmunds neue Arbeit"
    )
    text = message.get_body(("plain",)).get_content()
    assert text.count("https://todo.example/confirm/x") == 1
    assert "Dein Platz ist sicher:" in text
    assert "Platz für dich reserviert, bis du deine E-Mail-Adresse bestätigst:" in text
    assert "Ausgebucht, du stehst auf der Warteliste" in text
    html = message.get_body(("html",)).get_content()
    assert html.count("https://todo.example/confirm/x") == 1
    # Only the seat has a code and an invitation.
    assert qr_texts(message) == ["TKT-000003"]
    assert "TKT-000002" not in text and "TKT-000001" not in text
    ((inline,), attachments) = calendar_parts(message), list(message.iter_attachments())
    assert [a.get_filename() for a in attachments] == ["invite-1.ics"]
    (event,) = events_of(assert_valid_calendar(inline.get_content()))
    assert str(event["uid"]) == "session-3@todo.example"


def test_a_booking_on_the_waiting_list_only_has_no_invitation(
    programme, deliver, booking_messages, mails
):
    for message in booking_messages([(1, "waitlisted"), (2, "waitlisted")], locale="en"):
        deliver(*message)

    (mail,) = mails()
    assert mail.kind == "ticket_waitlisted"
    message = parse_mail(mail.message)
    assert message["Subject"] == (
        "You are on the waiting list: 2 sessions at to:DO – Dortmunds neue Arbeit"
    )
    assert calendar_parts(message) == [] and list(message.iter_attachments()) == []
    text = message.get_body(("plain",)).get_content()
    assert "Session 2: Work 4.0" in text and "Session 1: Work 4.0" in text
    assert "you move up automatically" in text


def test_a_redelivered_booking_mails_once(programme, deliver, booking_messages, mails):
    first, last = booking_messages([(1, "confirmed"), (2, "confirmed")])
    deliver(*first)
    deliver(*last)
    envelope = deliver.last_envelope
    assert deliver(last[0], None, envelope=envelope) == Outcome.DUPLICATE
    # The same message published again under a new id (a relay that crashed before marking it
    # sent): the booking's id keeps it at one mail.
    assert deliver(*last) == Outcome.HANDLED
    assert len(mails()) == 1


def test_the_last_message_before_an_earlier_one_waits_for_it(
    programme, deliver, booking_messages, mails
):
    first, last = booking_messages([(1, "confirmed"), (2, "held")])
    later = build_envelope(*last, None)
    with pytest.raises(BookingNotComplete):
        deliver(last[0], None, envelope=later)
    assert mails() == []
    deliver(*first)
    # The retry of the last one sends the mail for both.
    deliver(last[0], None, envelope=later)
    (mail,) = mails()
    text = parse_mail(mail.message).get_body(("plain",)).get_content()
    assert "Session 1: Arbeit 4.0" in text and "Session 2: Arbeit 4.0" in text


def test_a_ticket_cancelled_before_the_mail_is_left_out(
    programme, deliver, booking_messages, ticket_data, mails
):
    first, last = booking_messages([(1, "confirmed"), (2, "confirmed")])
    late = build_envelope(*last, None)
    deliver(*first)
    # Ticket 2 is cancelled while its booking message waits for a retry.
    cancelled = {**ticket_data(ticket_id=2, session=2, status="cancelled"), "reason": "attendee"}
    deliver("registration.ticket.cancelled", cancelled)
    deliver(last[0], None, envelope=late)

    (booking,) = mails(kind="ticket_confirmed")
    text = parse_mail(booking.message).get_body(("plain",)).get_content()
    assert "Session 1: Arbeit 4.0" in text and "Session 2: Arbeit 4.0" not in text
    assert len(mails(kind="ticket_cancelled")) == 1


def test_a_booking_of_one_session_keeps_the_single_mail(
    programme, deliver, booking_messages, ticket_data, mails
):
    (only,) = booking_messages([(2, "confirmed")])
    deliver(*only)
    deliver("registration.ticket.confirmed", ticket_data(attendee_id=2, ticket_id=9, session=2))

    booked, plain = mails()
    assert booked.kind == plain.kind == "ticket_confirmed"
    assert "template" not in booked.content and "invitations" not in booked.content
    first, second = parse_mail(booked.message), parse_mail(plain.message)
    assert first["Subject"] == second["Subject"] == "Dein Platz ist sicher: Session 2: Arbeit 4.0"
    assert structure(first) == structure(second)
    assert [a.get_filename() for a in first.iter_attachments()] == ["invite.ics"]


def test_a_booking_whose_session_is_not_known_yet_is_retried(
    deliver, release_data, session_info, booking_messages, mails
):
    deliver("schedule.release.published", release_data(1, sessions=[session_info(1)]))
    first, last = booking_messages([(1, "confirmed"), (2, "confirmed")])
    deliver(*first)
    from services.notify.attendance import SessionNotKnownYet

    with pytest.raises(SessionNotKnownYet):
        deliver(*last)
    assert mails() == []
