"""Example data and look-ups for the registration tests: a release message with sessions on a day
ahead, settings without rate limits, and the ticket or manage token of an attendee."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from services.registration.models import Attendee, Ticket
from services.registration.settings import RegistrationSettings

EVENT = "todo2024"
# Far enough ahead that every session is in the future while the tests run.
DAY = (datetime.now(UTC) + timedelta(days=30)).replace(hour=8, minute=0, second=0, microsecond=0)
UNTHROTTLED = RegistrationSettings(
    rate_limit_per_ip="100000/minute", rate_limit_per_email="1000/minute"
)


def session_info(
    session_id: int,
    *,
    capacity: int | None = 40,
    mode: str = "required",
    status: str = "scheduled",
    starts_at: datetime | None = None,
    minutes: int = 60,
) -> dict:
    starts_at = starts_at or DAY + timedelta(hours=session_id)
    return {
        "id": session_id,
        "guid": f"guid-{session_id}",
        "title": f"Session {session_id}",
        "title_en": f"Session {session_id} (en)",
        "starts_at": starts_at.isoformat(),
        "ends_at": (starts_at + timedelta(minutes=minutes)).isoformat(),
        "stage": {
            "guid": "baseology",
            "name": "Baseology",
            "address": "Kampstraße 1, 44137 Dortmund",
        },
        "registration": {"mode": mode, "capacity": capacity},
        "status": status,
    }


def release(number: int, sessions: list[dict], event: str = EVENT) -> dict:
    return {
        "event": {
            "slug": event,
            "title": "to:DO 2024",
            "timezone": "Europe/Berlin",
            "starts_on": DAY.date().isoformat(),
            "ends_on": (DAY.date() + timedelta(days=4)).isoformat(),
        },
        "release": {"number": number, "published_at": datetime.now(UTC).isoformat()},
        "sessions": sessions,
    }


def ticket_of(db, email: str, session_id: int) -> Ticket:
    """The ticket of the attendee with `email` for the session, detached."""
    with db.transaction() as session:
        ticket = session.scalars(
            select(Ticket)
            .join(Attendee)
            .where(Attendee.email == email, Ticket.session_id == session_id)
        ).one()
        session.expunge(ticket)
        return ticket


def manage_token(db, email: str) -> str:
    """The manage link's token of the attendee with `email`, as only their mail carries it."""
    with db.transaction() as session:
        return session.scalar(select(Attendee.manage_token).where(Attendee.email == email))
