"""What organisers see: availability, counts, attendee lists and the CSV export."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from services.registration.audit import audit
from services.registration.booking import find_event
from services.registration.models import Attendee, Event, ProgrammeSession, Seat, Ticket
from services.registration.models.ticket import CANCELLED, CONFIRMED, HELD, WAITLISTED
from services.registration.publishing import waitlist_position
from shared.audit import ATTENDEES_EXPORTED, TICKETS_LISTED
from shared.errors import UNKNOWN, NotFound
from shared.i18n import N_, translated, translations_for
from shared.messages.schedule import SESSION_CANCELLED, SESSION_SCHEDULED

# A session with this few seats left (or a tenth of its capacity) is nearly full.
NEARLY_FULL_SEATS = 3


@dataclass(frozen=True)
class Availability:
    capacity: int | None
    confirmed: int
    waitlisted: int
    available: int


def find_session(session: Session, event_slug: str, session_id: int) -> ProgrammeSession:
    programme_session = session.scalar(
        select(ProgrammeSession)
        .join(Event, ProgrammeSession.event_id == Event.id)
        .where(ProgrammeSession.id == session_id, Event.slug == event_slug)
    )
    if programme_session is None:
        raise NotFound(N_("There is no such session."), {"session": [UNKNOWN]})
    return programme_session


def availability(session: Session, event_slug: str, session_id: int) -> Availability:
    """One statement over two small indexes: taken seats (at most the capacity) and the
    waiting list's length."""
    taken = (
        select(func.count(Seat.ticket_id))
        .where(Seat.session_id == ProgrammeSession.id)
        .scalar_subquery()
    )
    waitlisted = (
        select(func.count())
        .select_from(Ticket)
        .where(Ticket.session_id == ProgrammeSession.id, Ticket.status == WAITLISTED)
        .scalar_subquery()
    )
    row = session.execute(
        select(ProgrammeSession.capacity, ProgrammeSession.status, taken, waitlisted)
        .join(Event, ProgrammeSession.event_id == Event.id)
        .where(ProgrammeSession.id == session_id, Event.slug == event_slug)
    ).first()
    if row is None:
        raise NotFound(N_("There is no such session."), {"session": [UNKNOWN]})
    capacity, status, taken_count, waiting_count = row
    open_ = status == SESSION_SCHEDULED and capacity is not None
    available = max(capacity - taken_count, 0) if open_ else 0
    return Availability(capacity, taken_count, waiting_count, available)


def session_counts(session: Session, event_slug: str) -> list[dict]:
    """Per session of the event: capacity and tickets by status, check-ins."""
    event_ = find_event(session, event_slug)
    rows = session.execute(
        select(
            ProgrammeSession,
            func.count(case((Ticket.status == CONFIRMED, 1))),
            func.count(case((Ticket.status == HELD, 1))),
            func.count(case((Ticket.status == WAITLISTED, 1))),
            func.count(case((Ticket.status == CANCELLED, 1))),
            func.count(Ticket.checked_in_at),
        )
        .outerjoin(Ticket, Ticket.session_id == ProgrammeSession.id)
        .where(ProgrammeSession.event_id == event_.id)
        .group_by(ProgrammeSession.id)
        .order_by(ProgrammeSession.starts_at, ProgrammeSession.id)
    ).all()
    return [
        {
            "session": s.id,
            "title": s.title,
            "starts_at": s.starts_at,
            "status": s.status,
            "registration_mode": s.registration_mode,
            "capacity": s.capacity,
            "confirmed": confirmed,
            "held": held,
            "waitlisted": waitlisted,
            "cancelled": cancelled,
            "checked_in": checked_in,
        }
        for s, confirmed, held, waitlisted, cancelled, checked_in in rows
    ]


def session_tickets(
    session: Session,
    event_slug: str,
    session_id: int,
    *,
    status: str | None,
    checked_in: bool | None,
    page: int,
    page_size: int,
) -> tuple[list[dict], int]:
    """One page of a session's tickets (waiting list in its order), and how many there are."""
    find_session(session, event_slug, session_id)
    query = select(Ticket).where(Ticket.session_id == session_id)
    if status is not None:
        query = query.where(Ticket.status == status)
    if checked_in is not None:
        query = query.where(
            Ticket.checked_in_at.is_not(None) if checked_in else Ticket.checked_in_at.is_(None)
        )
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    tickets = session.scalars(
        query.order_by(Ticket.requested_at, Ticket.id)
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    items = [
        {
            "ticket": t.id,
            "attendee": t.attendee_id,
            "name": t.name,
            "email": t.attendee.email,
            "status": t.status,
            "waitlist_position": waitlist_position(session, t),
            "requested_at": t.requested_at,
            "checked_in_at": t.checked_in_at,
        }
        for t in tickets
    ]
    audit(
        session,
        event_slug,
        TICKETS_LISTED,
        {
            "session": session_id,
            "status": status,
            "checked_in": checked_in,
            "page": page,
            "count": len(items),
        },
    )
    return items, total


CSV_COLUMNS = (
    N_("Session"),
    N_("Title"),
    N_("Starts"),
    N_("Name"),
    N_("Email"),
    N_("Language"),
    N_("Status"),
    N_("Waiting list"),
    N_("Checked in"),
)
# Characters with which spreadsheet programs start a formula (OWASP "CSV injection").
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def attendees_csv(
    session: Session, event_slug: str, session_id: int | None = None, *, language: str
) -> str:
    """The attendee list as German Excel opens it: BOM, `;` separated, CRLF line ends; the
    column names in `language`."""
    event_ = find_event(session, event_slug)
    zone = ZoneInfo(event_.timezone)
    query = (
        select(Ticket)
        .join(ProgrammeSession, Ticket.session_id == ProgrammeSession.id)
        .join(Attendee, Ticket.attendee_id == Attendee.id)
        .where(ProgrammeSession.event_id == event_.id, Ticket.status != CANCELLED)
        .order_by(ProgrammeSession.starts_at, Ticket.session_id, Ticket.requested_at, Ticket.id)
    )
    if session_id is not None:
        find_session(session, event_slug, session_id)
        query = query.where(Ticket.session_id == session_id)
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(translated(CSV_COLUMNS, translations_for(language)))
    waiting_ahead: dict[int, int] = {}
    tickets = session.scalars(query).all()
    for ticket in tickets:
        checked_in = ticket.checked_in_at
        position = None
        if ticket.status == WAITLISTED:
            # Rows come in waiting-list order, so counting them gives the positions.
            position = waiting_ahead[ticket.session_id] = (
                waiting_ahead.get(ticket.session_id, 0) + 1
            )
        writer.writerow(
            [
                spreadsheet_safe(v)
                for v in (
                    ticket.session_id,
                    ticket.session.title,
                    ticket.session.starts_at.astimezone(zone).strftime("%d.%m.%Y %H:%M"),
                    ticket.name,
                    ticket.attendee.email,
                    ticket.attendee.locale,
                    ticket.status,
                    position,
                    checked_in.astimezone(zone).strftime("%d.%m.%Y %H:%M") if checked_in else "",
                )
            ]
        )
    audit(session, event_slug, ATTENDEES_EXPORTED, {"session": session_id, "count": len(tickets)})
    return out.getvalue()


def attention(session: Session, event_slug: str, now: datetime) -> dict:
    """What an organiser of the event should know now: the sessions still to come that are
    full (with their waiting lists) or nearly so (at most `NEARLY_FULL_SEATS` seats or a tenth
    left), and how many seats wait for an email confirmation."""
    full, nearly_full, held = [], [], 0
    for row in session_counts(session, event_slug):
        held += row["held"]
        capacity = row["capacity"]
        if (
            row["registration_mode"] != "required"
            or row["status"] == SESSION_CANCELLED
            or capacity is None
            or row["starts_at"] <= now
        ):
            continue
        left = capacity - row["confirmed"] - row["held"]
        if left <= 0:
            full.append(row)
        elif left <= max(NEARLY_FULL_SEATS, capacity // 10):
            nearly_full.append({**row, "left": left})
    return {"full": full, "nearly_full": nearly_full, "held": held}
