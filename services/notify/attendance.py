"""Applying registration messages: notify's copy of attendees and tickets, their mails and
personal feeds, and erasure."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from services.notify.feeds import FeedContext, delete_personal_feeds, render_personal_feeds
from services.notify.mails import Mailer, Recipient, local_datetime, session_details
from services.notify.models import (
    Attendee,
    ErasedAttendee,
    Event,
    OutgoingMail,
    ProgrammeSession,
    Ticket,
)
from services.notify.models.mail import FAILED, QUEUED, RETRYING
from services.notify.programme import attendee_context
from shared.db import utcnow
from shared.messages.registration import (
    TICKET_CANCELLED,
    TICKET_CONFIRMED,
    TICKET_HELD,
    TICKET_WAITLISTED,
)

log = logging.getLogger(__name__)
# However often the link is asked for, the mailbox gets it at most once in this time.
LINK_MAIL_INTERVAL = timedelta(minutes=10)

# Ticket message verb -> (mail kind, iTIP method of the attached invitation, QR code?)
TICKET_MAILS: dict[str, tuple[str, str | None, bool]] = {
    "confirmed": ("ticket_confirmed", "REQUEST", True),
    "promoted": ("ticket_promoted", "REQUEST", True),
    "held": ("ticket_held", None, False),
    "waitlisted": ("ticket_waitlisted", None, False),
    "cancelled": ("ticket_cancelled", "CANCEL", False),
}


# A registration of several sessions (the messages' `booking`) is one mail, sent with its last
# message: the template, and its kind in the mail history by the best status it holds.
BOOKING_VERBS = ("confirmed", "held", "waitlisted")
BOOKING_TEMPLATE = "booking"
BOOKING_KINDS = {
    TICKET_CONFIRMED: "ticket_confirmed",
    TICKET_HELD: "ticket_held",
    TICKET_WAITLISTED: "ticket_waitlisted",
}


class SessionNotKnownYet(RuntimeError):
    """A ticket for a session whose release has not reached notify yet; the consumer retries
    the message later."""


class BookingNotComplete(RuntimeError):
    """The last message of a booking came before an earlier one (that one failed once and is
    retried); the consumer retries this one later, so the mail covers every ticket."""


def is_erased(session: Session, attendee_id: int) -> bool:
    return session.get(ErasedAttendee, attendee_id) is not None


def upsert_attendee(
    session: Session, event_slug: str, info: dict[str, Any], occurred_at: datetime
) -> Attendee:
    attendee = session.get(Attendee, info["id"], with_for_update=True)
    if attendee is None:
        attendee = Attendee(id=info["id"], event_slug=event_slug, updated_at=occurred_at)
        session.add(attendee)
    elif attendee.updated_at > occurred_at:
        return attendee
    attendee.event_slug = event_slug
    attendee.name = info["name"]
    attendee.email = info["email"]
    attendee.locale = info["locale"]
    attendee.manage_url = info["manage_url"]
    attendee.feed_token = info["feed_token"]
    attendee.updated_at = occurred_at
    session.flush()
    return attendee


def apply_ticket_message(
    session: Session,
    verb: str,
    data: dict[str, Any],
    occurred_at: datetime,
    *,
    mailer: Mailer,
    feed_context: FeedContext,
    cause_message_id: str,
) -> None:
    """Update the ticket copy, send the mail this change calls for, re-render the feed.

    A message older than what the copy already shows (they arrive out of order across
    aggregates and on redelivery) changes nothing and sends nothing.
    """
    info = data["ticket"]
    if is_erased(session, data["attendee"]["id"]):
        log.info("ticket %s belongs to an erased attendee; ignored", info["id"])
        return
    booking = data.get("booking")
    if verb not in BOOKING_VERBS or booking is None or booking["size"] < 2:
        # One ticket of its own: today's mail about it.
        booking = None
    last_of_booking = booking is not None and booking["index"] == booking["size"] - 1
    attendee = upsert_attendee(session, data["event"], data["attendee"], occurred_at)
    ticket = session.get(Ticket, info["id"], with_for_update=True)
    if ticket is not None and ticket.updated_at > occurred_at:
        log.info("ticket %s: %s message is older than the copy; ignored", ticket.id, verb)
        if last_of_booking:
            # The ticket changed since (its message was retried); the others still need
            # their mail, which tells what they are now.
            _queue_booking_mail(session, booking, attendee, occurred_at, mailer, cause_message_id)
        return
    if ticket is None:
        ticket = Ticket(id=info["id"], attendee_id=attendee.id)
        session.add(ticket)
    ticket.session_id = info["session"]
    # Messages from before tickets had names carry the attendee's.
    ticket.name = info.get("name") or data["attendee"]["name"]
    ticket.code = info["code"]
    ticket.status = info["status"]
    ticket.waitlist_position = info.get("waitlist_position")
    ticket.confirm_url = info.get("confirm_url")
    ticket.hold_expires_at = info.get("hold_expires_at")
    ticket.updated_at = occurred_at
    if verb == "checked_in":
        ticket.checked_in_at = data["checked_in_at"]
    session.flush()

    if booking is not None:
        # The earlier messages of a booking only update the copy; the last mails it all.
        if last_of_booking:
            _queue_booking_mail(session, booking, attendee, occurred_at, mailer, cause_message_id)
    elif verb in TICKET_MAILS and not (
        # The session's own cancellation mail (from the release) already told them.
        verb == "cancelled" and data.get("reason") == "session_cancelled"
    ):
        _queue_ticket_mail(session, verb, ticket, attendee, data, mailer, cause_message_id)
    render_personal_feeds(session, [attendee], feed_context, occurred_at)


def _queue_ticket_mail(
    session: Session,
    verb: str,
    ticket: Ticket,
    attendee: Attendee,
    data: dict[str, Any],
    mailer: Mailer,
    cause_message_id: str,
) -> None:
    programme_session = session.get(ProgrammeSession, ticket.session_id)
    if programme_session is None:
        raise SessionNotKnownYet(f"session {ticket.session_id} of ticket {ticket.id}")
    kind, method, with_qr = TICKET_MAILS[verb]
    locale = attendee.locale
    hold_expires = (
        local_datetime(ticket.hold_expires_at, programme_session.event.timezone, locale)
        if ticket.hold_expires_at
        else None
    )
    mailer.queue(
        session,
        kind=kind,
        cause=cause_message_id,
        recipient=Recipient(ticket.name, attendee.email, locale, attendee.id),
        event_slug=attendee.event_slug,
        context={
            **attendee_context(mailer, attendee, programme_session.event, ticket.name),
            "session": session_details(programme_session, locale),
            "ticket": {
                "code": ticket.code,
                "waitlist_position": ticket.waitlist_position,
                "confirm_url": ticket.confirm_url,
                "hold_expires": hold_expires,
            },
            "reason": data.get("reason"),
            "released_after_minutes": data.get("released_after_minutes"),
        },
        programme_session=programme_session,
        invitation_method=method,
        qr_code=ticket.code if with_qr else None,
        cause_message_id=cause_message_id,
        # The cause is this message, recorded as processed in the same transaction; the
        # unique dedup key still stops a concurrent second delivery at commit.
        known_new=True,
    )


def _queue_booking_mail(
    session: Session,
    booking: dict[str, Any],
    attendee: Attendee,
    occurred_at: datetime,
    mailer: Mailer,
    cause_message_id: str,
) -> None:
    """One mail for all tickets of a booking, each with its status (a QR code and an invitation
    for each seat, the link to confirm the address once); sent with its last message, when the
    copies of the others are there. Tickets cancelled since are left out."""
    cause = f"booking-{booking['id']}"
    keys = [Mailer.dedup_key(cause, attendee.id, kind) for kind in BOOKING_KINDS.values()]
    if mailer.queued_keys(session, keys):
        return
    copies = {
        ticket.id: ticket
        for ticket in session.scalars(
            select(Ticket).where(
                Ticket.id.in_(booking["tickets"]), Ticket.attendee_id == attendee.id
            )
        )
    }
    for ticket_id in booking["tickets"]:
        ticket = copies.get(ticket_id)
        # Not applied yet: no copy, or still the copy of a cancelled ticket booked again.
        if ticket is None or (
            ticket.status == TICKET_CANCELLED and ticket.updated_at < occurred_at
        ):
            raise BookingNotComplete(f"ticket {ticket_id} of booking {booking['id']}")
    booked: list[tuple[ProgrammeSession, Ticket]] = []
    for ticket in copies.values():
        if ticket.status not in BOOKING_KINDS:
            continue
        programme_session = session.get(ProgrammeSession, ticket.session_id)
        if programme_session is None:
            raise SessionNotKnownYet(f"session {ticket.session_id} of ticket {ticket.id}")
        booked.append((programme_session, ticket))
    if not booked:
        return
    booked.sort(key=lambda pair: (pair[0].starts_at, pair[0].id))
    event = booked[0][0].event
    locale = attendee.locale
    statuses = {ticket.status for _, ticket in booked}
    kind = next(BOOKING_KINDS[status] for status in BOOKING_KINDS if status in statuses)
    holds = [ticket.hold_expires_at for _, ticket in booked if ticket.hold_expires_at]
    seated = [(s, ticket) for s, ticket in booked if ticket.status == TICKET_CONFIRMED]
    # The greeting: the name given with the booking (the same on all its tickets).
    name = booked[-1][1].name
    mailer.queue(
        session,
        kind=kind,
        cause=cause,
        recipient=Recipient(name, attendee.email, locale, attendee.id),
        event_slug=attendee.event_slug,
        context={
            **attendee_context(mailer, attendee, event, name),
            "tickets": [
                {
                    "status": ticket.status,
                    "code": ticket.code,
                    "waitlist_position": ticket.waitlist_position,
                    "session": session_details(programme_session, locale),
                }
                for programme_session, ticket in booked
            ],
            "confirm_url": next((t.confirm_url for _, t in booked if t.confirm_url), None),
            "hold_expires": local_datetime(min(holds), event.timezone, locale) if holds else None,
        },
        cause_message_id=cause_message_id,
        bundle={
            "template": BOOKING_TEMPLATE,
            "invitations": [(programme_session, "REQUEST") for programme_session, _ in seated],
            "qr_codes": [ticket.code for _, ticket in seated],
        },
    )


def apply_attendee_update(
    session: Session,
    data: dict[str, Any],
    occurred_at: datetime,
    *,
    feed_context: FeedContext,
) -> None:
    """New language or a new feed token: the old token's feed stops working at once."""
    if is_erased(session, data["attendee"]["id"]):
        return
    attendee = upsert_attendee(session, data["event"], data["attendee"], occurred_at)
    render_personal_feeds(session, [attendee], feed_context, occurred_at)


def send_manage_link(
    session: Session,
    data: dict[str, Any],
    *,
    mailer: Mailer,
    cause_message_id: str,
) -> None:
    """Mail the manage link to the attendee's address, at most once per LINK_MAIL_INTERVAL
    however often it is asked for (anyone may ask), unless an organiser resent it. No name:
    whoever asked may have typed one that is not the mailbox owner's."""
    info = data["attendee"]
    if is_erased(session, info["id"]):
        return
    recent = session.scalar(
        select(OutgoingMail.id).where(
            OutgoingMail.attendee_id == info["id"],
            OutgoingMail.kind == "manage_link",
            OutgoingMail.created_at > utcnow() - LINK_MAIL_INTERVAL,
        )
    )
    if recent is not None and not data["by_organiser"]:
        return
    event = session.scalar(select(Event).where(Event.slug == data["event"]))
    feed_url = mailer.personal_feed_url(data["event"], info["feed_token"])
    mailer.queue(
        session,
        kind="manage_link",
        cause=cause_message_id,
        recipient=Recipient("", info["email"], info["locale"], info["id"]),
        event_slug=data["event"],
        context={
            "name": "",
            "event_title": event.title if event is not None else data["event"],
            "manage_url": info["manage_url"],
            "feed_url": feed_url,
            "webcal_url": "webcal://" + feed_url.split("://", 1)[1],
        },
        cause_message_id=cause_message_id,
    )


def erase_attendee(
    session: Session,
    data: dict[str, Any],
    *,
    mailer: Mailer,
    cause_message_id: str,
) -> None:
    """Queue the erasure confirmation to the address of notify's copy, then forget the
    attendee (`forget_attendee`); the confirmation itself is scrubbed once it is sent or has
    failed. The message carries ids only: every earlier message about the attendee came first
    (one aggregate), so the copy is current; without one, nobody is written to."""
    attendee_id = data["attendee_id"]
    attendee = session.get(Attendee, attendee_id)
    if attendee is not None:
        event = session.scalar(select(Event).where(Event.slug == data["event"]))
        mailer.queue(
            session,
            kind="attendee_erased",
            cause="erasure",
            # No name: the attendee's may have been typed by someone else than the mailbox owner.
            recipient=Recipient("", attendee.email, attendee.locale, attendee_id),
            event_slug=data["event"],
            context={
                "name": "",
                "event_title": event.title if event is not None else data["event"],
            },
            scrub_after_send=True,
            cause_message_id=cause_message_id,
        )
    forget_attendee(session, attendee_id, keep_kind="attendee_erased")


def forget_attendee(session: Session, attendee_id: int, keep_kind: str | None = None) -> None:
    """Delete an attendee's personal data: their copy, tickets and feed, and the addresses,
    bodies and failure reasons of their mails in any state (only delivery records stay; mail
    not yet sent never will be), except mail of `keep_kind`. The id is remembered, so a late
    ticket message cannot bring the data back."""
    others = OutgoingMail.attendee_id == attendee_id
    if keep_kind is not None:
        others &= OutgoingMail.kind != keep_kind
    session.execute(
        update(OutgoingMail)
        .where(others)
        .values(recipient=None, content=None, message=None, last_error=None)
    )
    session.execute(
        update(OutgoingMail)
        .where(others, OutgoingMail.state.in_((QUEUED, RETRYING)))
        .values(state=FAILED, last_error="attendee erased before delivery")
    )
    delete_personal_feeds(session, attendee_id)
    session.execute(delete(Ticket).where(Ticket.attendee_id == attendee_id))
    session.execute(delete(Attendee).where(Attendee.id == attendee_id))
    if not is_erased(session, attendee_id):
        session.add(ErasedAttendee(attendee_id=attendee_id, erased_at=utcnow()))
