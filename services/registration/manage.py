"""What attendees do with the secret link: cancel, switch language, new feed link, GDPR."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session, object_session

from services.registration.booking import find_event, new_secret_token, new_ticket_code
from services.registration.idempotency import forget_responses
from services.registration.models import Attendee, OutboxMessage, Ticket
from services.registration.models.ticket import CANCELLED, SEATED
from services.registration.publishing import (
    aggregate_of,
    publish_attendee_updated,
    publish_link_requested,
    publish_ticket,
    waitlist_position,
)
from services.registration.seats import lock_session, release_seat
from services.registration.settings import Links, RegistrationSettings
from shared.db import utcnow
from shared.errors import UNKNOWN, NotFound
from shared.i18n import N_
from shared.outbox import add_message


def attendee_by_manage_token(session: Session, token: str) -> Attendee:
    attendee = session.scalar(select(Attendee).where(Attendee.manage_token == token))
    if attendee is None or attendee.erased_at is not None:
        raise NotFound(N_("This link is invalid or has expired."))
    return attendee


LINK_SENT_MESSAGE = N_("If this address is registered for the event, we have sent the link to it.")


def request_manage_link(session: Session, event_slug: str, email: str, links: Links) -> None:
    """Mail the manage link to `email` (normalised) if it is registered for the event.

    Nothing tells the caller whether it is: the same answer either way, and the link only ever
    goes to the stored address.
    """
    event_ = find_event(session, event_slug)
    attendee = session.scalar(
        select(Attendee).where(
            Attendee.event_id == event_.id, Attendee.email == email, Attendee.erased_at.is_(None)
        )
    )
    if attendee is not None:
        publish_link_requested(session, event_.slug, attendee, links)


def tickets_of(session: Session, attendee: Attendee) -> list[Ticket]:
    return list(
        session.scalars(
            select(Ticket).where(Ticket.attendee_id == attendee.id).order_by(Ticket.session_id)
        )
    )


def cancel_ticket(
    session: Session,
    ticket: Ticket,
    reason: str,
    links: Links,
    settings: RegistrationSettings,
    *,
    announce: bool = True,
    **message_extra,
) -> bool:
    """Cancel a ticket; its seat goes at once to the first person waiting. False if it was.
    `message_extra`: more fields of the cancellation message (see its schema)."""
    lock_session(session, ticket.session_id)
    session.refresh(ticket, with_for_update={"of": Ticket})
    if ticket.status == CANCELLED:
        return False
    was_seated = ticket.status in SEATED
    ticket.status = CANCELLED
    ticket.cancelled_at = utcnow()
    ticket.cancel_reason = reason
    ticket.hold_expires_at = None
    session.flush()
    if was_seated:
        release_seat(session, ticket, links, settings)
    if announce:
        publish_ticket(session, "cancelled", ticket, links, reason=reason, **message_extra)
    return True


def cancel_attendee_ticket(
    session: Session,
    attendee: Attendee,
    ticket_id: int,
    links: Links,
    settings: RegistrationSettings,
) -> Ticket:
    ticket = session.get(Ticket, ticket_id)
    if ticket is None or ticket.attendee_id != attendee.id:
        raise NotFound(N_("There is no such ticket."), {"ticket": [UNKNOWN]})
    cancel_ticket(session, ticket, "attendee", links, settings)
    return ticket


def cancel_all(
    session: Session, attendee: Attendee, links: Links, settings: RegistrationSettings
) -> list[Ticket]:
    cancelled = []
    for ticket in tickets_of(session, attendee):
        if cancel_ticket(session, ticket, "attendee", links, settings):
            cancelled.append(ticket)
    return cancelled


def set_locale(session: Session, attendee: Attendee, locale: str, links: Links) -> None:
    if attendee.locale != locale:
        attendee.locale = locale
        session.flush()
        publish_attendee_updated(session, attendee, links)


def revoke_feed_token(session: Session, attendee: Attendee, links: Links) -> str:
    """A new personal feed link; the old one stops working once notify hears of it."""
    attendee.feed_token = new_secret_token()
    session.flush()
    publish_attendee_updated(session, attendee, links)
    return attendee.feed_token


def booking(session: Session, attendee: Attendee, links: Links) -> dict:
    """The attendee's booking as the manage page and API show it."""
    return {
        "event": attendee.event.slug,
        "name": attendee.name,
        "email": attendee.email,
        "locale": attendee.locale,
        "manage_url": links.manage_url(attendee.event.slug, attendee.manage_token),
        "feed_url": links.feed_url(attendee.event.slug, attendee.feed_token),
        "tickets": [
            {
                "id": ticket.id,
                "session": ticket.session_id,
                "name": ticket.name,
                "title": ticket.session.title,
                "title_en": ticket.session.title_en,
                "starts_at": ticket.session.starts_at,
                "ends_at": ticket.session.ends_at,
                "stage": ticket.session.stage,
                "status": ticket.status,
                "waitlist_position": waitlist_position(session, ticket),
                "code": ticket.code,
                "hold_expires_at": ticket.hold_expires_at,
                "checked_in_at": ticket.checked_in_at,
            }
            for ticket in tickets_of(session, attendee)
        ],
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def personal_data(session: Session, attendee: Attendee, links: Links) -> dict:
    """Everything stored about the attendee (GDPR art. 15), as one JSON document."""
    return {
        "event": attendee.event.slug,
        "attendee": {
            "id": attendee.id,
            "name": attendee.name,
            "email": attendee.email,
            "locale": attendee.locale,
            "registered_at": _iso(attendee.created_at),
            "consent": {
                "given_at": _iso(attendee.consent_at),
                "text_version": attendee.consent_version,
            },
            "email_confirmed_at": _iso(attendee.email_confirmed_at),
            "manage_url": links.manage_url(attendee.event.slug, attendee.manage_token),
            "personal_feed_url": links.feed_url(attendee.event.slug, attendee.feed_token),
        },
        "tickets": [
            {
                "id": ticket.id,
                "session": ticket.session_id,
                "name": ticket.name,
                "title": ticket.session.title,
                "starts_at": _iso(ticket.session.starts_at),
                "status": ticket.status,
                "waitlist_position": waitlist_position(session, ticket),
                "code": ticket.code,
                "requested_at": _iso(ticket.requested_at),
                "checked_in_at": _iso(ticket.checked_in_at),
                "cancelled_at": _iso(ticket.cancelled_at),
                "cancel_reason": ticket.cancel_reason,
            }
            for ticket in tickets_of(session, attendee)
        ],
    }


def anonymise(attendee: Attendee, now: datetime) -> None:
    """Replace personal data, keeping the row (and its tickets) for the numbers: the tickets
    lose their names and get new check-in codes, stored registration answers are deleted.
    The outbox rows about the attendee go once published (`sweeper.forget_erased_messages`)."""
    session = object_session(attendee)
    attendee.name = ""
    ticket_ids = session.scalars(select(Ticket.id).where(Ticket.attendee_id == attendee.id)).all()
    if ticket_ids:
        session.execute(
            update(Ticket),
            [{"id": ticket_id, "name": "", "code": new_ticket_code()} for ticket_id in ticket_ids],
        )
    forget_responses(session, attendee.id)
    attendee.email = f"erased-{attendee.id}@invalid"
    attendee.manage_token = new_secret_token()
    attendee.feed_token = new_secret_token()
    attendee.erased_at = now


def erase(
    session: Session, attendee: Attendee, links: Links, settings: RegistrationSettings
) -> None:
    """GDPR erasure: free the attendee's places, then forget who they were; counts stay.

    Notify hears one `registration.attendee.erased`, not a cancellation per ticket; it carries
    ids only (notify writes the last mail from its own copy, then deletes that).
    """
    now = utcnow()
    for ticket in tickets_of(session, attendee):
        if ticket.session.ends_at > now:
            cancel_ticket(session, ticket, "attendee", links, settings, announce=False)
    anonymise(attendee, now)
    session.flush()
    add_message(
        session,
        OutboxMessage,
        "registration.attendee.erased",
        {"event": attendee.event.slug, "attendee_id": attendee.id},
        aggregate=aggregate_of(attendee),
    )
