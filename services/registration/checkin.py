"""Checking tickets in at the door."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.registration.audit import audit
from services.registration.models import Attendee, Event, Ticket
from services.registration.models.ticket import CANCELLED, SEATED
from services.registration.publishing import publish_ticket
from services.registration.settings import Links
from shared.audit import CHECKED_IN
from shared.db import utcnow
from shared.errors import UNKNOWN, Conflict, DomainError, NotFound
from shared.i18n import N_


@dataclass(frozen=True)
class CheckIn:
    ticket: Ticket
    checked_in_at: datetime


def is_on(programme_session, now: datetime) -> bool:
    """Whether a ticket for the session opens the door at `now`: on the day it starts (in the
    event's time zone), or while it runs (past midnight too)."""
    if programme_session.starts_at <= now < programme_session.ends_at:
        return True
    zone = ZoneInfo(programme_session.event.timezone)
    return programme_session.starts_at.astimezone(zone).date() == now.astimezone(zone).date()


def check_in(
    session: Session,
    event_slug: str,
    code: str,
    links: Links,
    *,
    session_id: int | None = None,
    now: datetime | None = None,
) -> CheckIn:
    """Check a ticket in by its code, at the door of `session_id` or, if not given, any door;
    either way only on the session's day (`is_on`)."""
    now = now or utcnow()
    ticket = session.scalars(
        select(Ticket)
        .join(Attendee, Ticket.attendee_id == Attendee.id)
        .join(Event, Attendee.event_id == Event.id)
        .where(Ticket.code == code, Event.slug == event_slug)
        .with_for_update(of=Ticket)
    ).first()
    if ticket is None:
        raise NotFound(N_("Unknown ticket code."), {"code": [UNKNOWN]})
    if ticket.checked_in_at is not None:
        raise Conflict(
            N_("This ticket is already checked in."),
            {"code": [N_("checked in %(at)s", at=ticket.checked_in_at.isoformat())]},
        )
    programme_session = ticket.session
    if session_id is not None and ticket.session_id != session_id:
        raise DomainError(
            N_("The ticket is for another session."),
            {"code": [N_("ticket for %(session)s", session=ticket.session_id)]},
        )
    if not is_on(programme_session, now):
        # Also at a chosen door: a ticket for another day does not open today's.
        raise DomainError(
            N_("The ticket is for another day."),
            {"code": [N_("ticket for %(session)s", session=ticket.session_id)]},
        )
    if ticket.status == CANCELLED and ticket.cancel_reason == "no_show":
        raise DomainError(
            N_("The seat was released because the ticket was not checked in in time."),
            {"code": [N_("released %(at)s", at=ticket.cancelled_at.isoformat())]},
        )
    if ticket.status not in SEATED:
        raise DomainError(
            N_("The ticket has no seat."),
            {"code": [N_("Status: %(status)s", status=ticket.status)]},
        )
    ticket.checked_in_at = now
    session.flush()
    publish_ticket(session, "checked_in", ticket, links, checked_in_at=now)
    audit(session, event_slug, CHECKED_IN, {"ticket": ticket.id, "session": ticket.session_id})
    return CheckIn(ticket, now)
