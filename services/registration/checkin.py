"""Checking tickets in at the door."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.registration.audit import audit
from services.registration.codes import lookup_codes
from services.registration.models import Attendee, Event, Ticket
from services.registration.models.ticket import CANCELLED, SEATED
from services.registration.publishing import publish_ticket
from services.registration.settings import Links
from shared.audit import CHECKED_IN, current_actor
from shared.db import utcnow
from shared.errors import UNKNOWN, Conflict, DomainError, NotFound
from shared.i18n import N_
from shared.ticket_codes import printed

# As long as a name of `Ticket.checked_in_by` may be.
BY_LENGTH = 200


@dataclass(frozen=True)
class DoorCount:
    """A session's seated tickets (confirmed, or held for the email confirmation) and how many
    of them are checked in."""

    checked_in: int
    confirmed: int


@dataclass(frozen=True)
class CheckIn:
    ticket: Ticket
    checked_in_at: datetime
    count: DoorCount


def is_on(programme_session, now: datetime) -> bool:
    """Whether a ticket for the session opens the door at `now`: on the day it starts (in the
    event's time zone), or while it runs (past midnight too)."""
    if programme_session.starts_at <= now < programme_session.ends_at:
        return True
    zone = ZoneInfo(programme_session.event.timezone)
    return programme_session.starts_at.astimezone(zone).date() == now.astimezone(zone).date()


def door_count(session: Session, session_id: int) -> DoorCount:
    """The running count at a session's door: seated tickets checked in, of all seated."""
    checked_in, confirmed = session.execute(
        select(func.count(Ticket.checked_in_at), func.count()).where(
            Ticket.session_id == session_id, Ticket.status.in_(SEATED)
        )
    ).one()
    return DoorCount(checked_in, confirmed)


def local_moment(moment: datetime, timezone: str, now: datetime) -> str:
    """`moment` in the event's time zone: the time on the day of `now`, else date and time."""
    zone = ZoneInfo(timezone)
    local = moment.astimezone(zone)
    if local.date() == now.astimezone(zone).date():
        return f"{local:%H:%M}"
    return f"{local:%Y-%m-%d %H:%M}"


def _ticket_of(ticket: Ticket, now: datetime) -> str:
    programme_session = ticket.session
    starts = local_moment(programme_session.starts_at, programme_session.event.timezone, now)
    return N_("ticket for %(title)s (%(starts)s)", title=programme_session.title, starts=starts)


def check_in(
    session: Session,
    event_slug: str,
    code: str,
    links: Links,
    *,
    session_id: int | None = None,
    by: str | None = None,
    now: datetime | None = None,
) -> CheckIn:
    """Check a ticket in by its code as typed or scanned (`codes.lookup_codes`: a mistyped
    code is refused before any lookup), at the door of `session_id` or, if not given, any door;
    either way only on the session's day (`is_on`). `by`: who checks in (None: the organiser of
    the request, as in the audit log), kept on the ticket and told at a second try."""
    now = now or utcnow()
    candidates = lookup_codes(code)
    ticket = session.scalars(
        select(Ticket)
        .join(Attendee, Ticket.attendee_id == Attendee.id)
        .join(Event, Attendee.event_id == Event.id)
        .where(Ticket.code.in_(candidates), Event.slug == event_slug)
        .order_by(Ticket.id)
        .with_for_update(of=Ticket)
    ).first()
    if ticket is None:
        raise NotFound(N_("Unknown ticket code."), {"code": [UNKNOWN]})
    programme_session = ticket.session
    timezone = programme_session.event.timezone
    # The door sees the name and session of the ticket in hand, nothing else.
    name = ticket.name or ticket.attendee.name
    if ticket.checked_in_at is not None:
        at = local_moment(ticket.checked_in_at, timezone, now)
        detail = (
            N_("checked in at %(at)s by %(by)s", at=at, by=ticket.checked_in_by)
            if ticket.checked_in_by
            else N_("checked in at %(at)s", at=at)
        )
        raise Conflict(
            N_(
                "%(name)s is already checked in (%(title)s).",
                name=name,
                title=programme_session.title,
            ),
            {"code": [detail]},
        )
    if session_id is not None and ticket.session_id != session_id:
        raise DomainError(
            N_("The ticket is for another session."), {"code": [_ticket_of(ticket, now)]}
        )
    if not is_on(programme_session, now):
        # Also at a chosen door: a ticket for another day does not open today's.
        raise DomainError(N_("The ticket is for another day."), {"code": [_ticket_of(ticket, now)]})
    if ticket.status == CANCELLED and ticket.cancel_reason == "no_show":
        raise DomainError(
            N_("The seat was released because the ticket was not checked in in time."),
            {"code": [N_("released %(at)s", at=local_moment(ticket.cancelled_at, timezone, now))]},
        )
    if ticket.status not in SEATED:
        raise DomainError(
            N_("The ticket has no seat."),
            {"code": [N_("Status: %(status)s", status=ticket.status)]},
        )
    ticket.checked_in_at = now
    ticket.checked_in_by = (by or current_actor())[:BY_LENGTH]
    session.flush()
    publish_ticket(session, "checked_in", ticket, links, checked_in_at=now)
    audit(session, event_slug, CHECKED_IN, {"ticket": ticket.id, "session": ticket.session_id})
    return CheckIn(ticket, now, door_count(session, ticket.session_id))


def checkin_answer(result: CheckIn) -> dict:
    """What the API answers (`CheckInResponseSchema`) and the page shows."""
    ticket = result.ticket
    return {
        "ticket": ticket.id,
        "code": printed(ticket.code),
        "name": ticket.name or ticket.attendee.name,
        "session": ticket.session_id,
        "title": ticket.session.title,
        "title_en": ticket.session.title_en,
        "checked_in_at": result.checked_in_at,
        "checked_in_by": ticket.checked_in_by,
        "count": {"checked_in": result.count.checked_in, "confirmed": result.count.confirmed},
    }
