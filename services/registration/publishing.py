"""The registration messages, built from the stored rows (see `shared/messages/registration.py`)."""

from __future__ import annotations

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from services.registration.models import Attendee, OutboxMessage, Ticket
from services.registration.models.ticket import HELD, WAITLISTED
from services.registration.settings import Links
from shared.outbox import add_message


def waitlist_position(session: Session, ticket: Ticket) -> int | None:
    """1 for the first person waiting; None for a ticket that is not waiting."""
    if ticket.status != WAITLISTED:
        return None
    ahead = session.scalar(
        select(func.count())
        .select_from(Ticket)
        .where(
            Ticket.session_id == ticket.session_id,
            Ticket.status == WAITLISTED,
            or_(
                Ticket.requested_at < ticket.requested_at,
                and_(Ticket.requested_at == ticket.requested_at, Ticket.id < ticket.id),
            ),
        )
    )
    return (ahead or 0) + 1


def attendee_info(attendee, event_slug: str, links: Links) -> dict:
    """`attendee`: an Attendee or a row with its columns."""
    return {
        "id": attendee.id,
        "name": attendee.name,
        "email": attendee.email,
        "locale": attendee.locale,
        "manage_url": links.manage_url(event_slug, attendee.manage_token),
        "feed_token": attendee.feed_token,
    }


def ticket_info(
    ticket,
    attendee,
    event_slug: str,
    links: Links,
    position: int | None,
    confirmation_needed: bool = False,
) -> dict:
    """`ticket`, `attendee`: models or rows with their columns. The link to confirm the address
    goes with a held seat, and with a place on the waiting list where a seat that frees up
    will wait for the confirmation (`confirmation_needed`); otherwise nothing needs it."""
    held = ticket.status == HELD
    return {
        "id": ticket.id,
        "name": ticket.name,
        "code": ticket.code,
        "session": ticket.session_id,
        "status": ticket.status,
        "waitlist_position": position,
        "confirm_url": links.confirm_url(event_slug, attendee.id)
        if attendee.email_confirmed_at is None
        and (held or (ticket.status == WAITLISTED and confirmation_needed))
        else None,
        "hold_expires_at": ticket.hold_expires_at if held else None,
    }


def aggregate_of(attendee) -> str:
    # One attendee's messages are published in order; notify keys its copy by attendee.
    return f"attendee:{attendee.id}"


def publish_ticket_of(
    session: Session,
    verb: str,
    event_slug: str,
    attendee,
    ticket,
    links: Links,
    *,
    position: int | None = None,
    confirmation_needed: bool = False,
    **extra,
) -> None:
    """Add `registration.ticket.<verb>` to the outbox of the current transaction.

    `attendee` and `ticket` are models or rows with their columns (the registration path works
    on rows); `position` is the waiting-list place where it is known.
    """
    data = {
        "event": event_slug,
        "attendee": attendee_info(attendee, event_slug, links),
        "ticket": ticket_info(ticket, attendee, event_slug, links, position, confirmation_needed),
        **extra,
    }
    add_message(
        session,
        OutboxMessage,
        f"registration.ticket.{verb}",
        data,
        aggregate=aggregate_of(attendee),
    )


def publish_ticket(session: Session, verb: str, ticket: Ticket, links: Links, **extra) -> None:
    """Add `registration.ticket.<verb>` for `ticket` to the outbox of the current transaction."""
    attendee = ticket.attendee
    position = waitlist_position(session, ticket)
    publish_ticket_of(
        session, verb, attendee.event.slug, attendee, ticket, links, position=position, **extra
    )


def publish_link_requested(
    session: Session, event_slug: str, attendee, links: Links, *, by_organiser: bool = False
) -> None:
    """Ask notify to mail the manage link to the attendee's own address (never elsewhere)."""
    add_message(
        session,
        OutboxMessage,
        "registration.attendee.link_requested",
        {
            "event": event_slug,
            "attendee": attendee_info(attendee, event_slug, links),
            "by_organiser": by_organiser,
        },
        aggregate=aggregate_of(attendee),
    )


def publish_attendee_updated(session: Session, attendee: Attendee, links: Links) -> None:
    add_message(
        session,
        OutboxMessage,
        "registration.attendee.updated",
        {
            "event": attendee.event.slug,
            "attendee": attendee_info(attendee, attendee.event.slug, links),
        },
        aggregate=aggregate_of(attendee),
    )
