"""The service's copy of the programme, kept from `schedule.release.published` messages."""

from __future__ import annotations

import logging

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from services.registration.models import Event, ProgrammeSession, Seat, Ticket
from services.registration.models.ticket import CANCELLED
from services.registration.publishing import publish_ticket
from services.registration.seats import lock_session, set_capacity
from services.registration.settings import Links, RegistrationSettings
from shared.db import utcnow
from shared.messages.schedule import SESSION_CANCELLED

log = logging.getLogger(__name__)


def cancel_session_tickets(
    session: Session, programme_session: ProgrammeSession, links: Links
) -> int:
    """A dropped session: every ticket is cancelled and its holder told; the seats are freed."""
    now = utcnow()
    tickets = session.scalars(
        select(Ticket)
        .where(Ticket.session_id == programme_session.id, Ticket.status != CANCELLED)
        .order_by(Ticket.id)
        .with_for_update(of=Ticket)
    ).all()
    session.execute(
        update(Seat).where(Seat.session_id == programme_session.id).values(ticket_id=None)
    )
    for ticket in tickets:
        ticket.status = CANCELLED
        ticket.cancelled_at = now
        ticket.cancel_reason = "session_cancelled"
        ticket.hold_expires_at = None
        session.flush()
        publish_ticket(session, "cancelled", ticket, links, reason="session_cancelled")
    return len(tickets)


def _upsert_event(session: Session, data: dict) -> Event | None:
    """The event row, or None if this release is not newer than the one already applied."""
    info, number = data["event"], data["release"]["number"]
    event_ = session.scalars(
        select(Event).where(Event.slug == info["slug"]).with_for_update()
    ).first()
    if event_ is None:
        # Registration starts out as the event was created; its organisers change it here.
        event_ = Event(slug=info["slug"], release_number=0, **info.get("registration_defaults", {}))
        session.add(event_)
    elif event_.release_number >= number:
        log.info(
            "ignoring release %d of %s: release %d is applied",
            number,
            info["slug"],
            event_.release_number,
        )
        return None
    event_.title = info["title"]
    event_.timezone = info["timezone"]
    event_.starts_on = info["starts_on"]
    event_.ends_on = info["ends_on"]
    event_.release_number = number
    session.flush()
    return event_


def apply_release(
    session: Session, data: dict, links: Links, settings: RegistrationSettings
) -> None:
    """Bring sessions, capacities and tickets in line with a programme release."""
    event_ = _upsert_event(session, data)
    if event_ is None:
        return
    listed = set()
    for info in sorted(data["sessions"], key=lambda s: s["id"]):
        listed.add(info["id"])
        programme_session = session.get(ProgrammeSession, info["id"])
        if programme_session is None:
            programme_session = ProgrammeSession(id=info["id"], event_id=event_.id)
            was_cancelled = False
        else:
            programme_session = lock_session(session, info["id"])
            was_cancelled = programme_session.is_cancelled
        registration = info["registration"]
        programme_session.guid = info["guid"]
        programme_session.title = info["title"]
        programme_session.title_en = info.get("title_en") or ""
        programme_session.stage = info["stage"]["name"]
        programme_session.stage_address = info["stage"].get("address") or ""
        programme_session.starts_at = info["starts_at"]
        programme_session.ends_at = info["ends_at"]
        programme_session.registration_mode = registration["mode"]
        programme_session.status = info["status"]
        session.add(programme_session)
        session.flush()
        if info["status"] == SESSION_CANCELLED and not was_cancelled:
            cancel_session_tickets(session, programme_session, links)
        if registration["capacity"] is not None:
            set_capacity(session, programme_session, registration["capacity"], links, settings)
        else:
            programme_session.capacity = None
    # A session missing from a full programme is gone: treat it as cancelled.
    for programme_session in session.scalars(
        select(ProgrammeSession).where(
            ProgrammeSession.event_id == event_.id,
            ProgrammeSession.id.not_in(listed),
            ProgrammeSession.status != SESSION_CANCELLED,
        )
    ).all():
        programme_session = lock_session(session, programme_session.id)
        programme_session.status = SESSION_CANCELLED
        cancel_session_tickets(session, programme_session, links)
