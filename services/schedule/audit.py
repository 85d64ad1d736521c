"""The schedule service's audit log (`shared.audit`): its own entries, recorded where organisers
publish, change sessions and run the livestream, and registration's, copied from
`registration.audit.recorded` (`services.schedule.handlers`); read, newest first, by the
organiser page and API."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.schedule.models import AuditEntry, Event, ProgrammeSession
from shared.audit import SESSION_CHANGED, changed_values, record

# How many entries the page and the API show at most (the newest).
LOG_LIMIT = 500


def audit(session: Session, event: Event, action: str, details: dict[str, Any]) -> None:
    """Record who did `action` to `event` now."""
    record(session, AuditEntry, event.slug, action, details)


def _audited_values(values: dict[str, Any]) -> dict[str, Any]:
    # What a session change is recorded for: times, registration mode and capacity.
    registration = values["registration"]
    return {
        "starts_at": values["starts_at"],
        "ends_at": values["ends_at"],
        "registration": registration.get("mode", "none"),
        "capacity": registration.get("capacity"),
    }


def session_changed(
    session: Session, event: Event, programme_session: ProgrammeSession, before: dict[str, Any]
) -> None:
    """Record a change of `programme_session`'s times or registration; `before` is its
    `draft.session_values` before the change. Nothing if neither changed."""
    after = {
        "starts_at": programme_session.starts_at,
        "ends_at": programme_session.ends_at,
        "registration": programme_session.registration_mode,
        "capacity": programme_session.registration_capacity,
    }
    changes = changed_values(_audited_values(before), after)
    if changes:
        details = {
            "session": programme_session.id,
            "title": programme_session.title,
            "changes": changes,
        }
        audit(session, event, SESSION_CHANGED, details)


def audit_log(session: Session, event: Event, limit: int = LOG_LIMIT) -> list[AuditEntry]:
    """`event`'s audit log, newest first: the schedule service's entries and registration's."""
    return list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.event == event.slug)
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
            .limit(limit)
        )
    )
