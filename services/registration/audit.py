"""Registration's audit entries (`shared.audit`): recorded in its own table and published, in
the same transaction, as `registration.audit.recorded` for the one audit log the schedule
service shows."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from services.registration.models import AuditEntry, Event, OutboxMessage
from shared.audit import SETTINGS_CHANGED, changed_values, record
from shared.outbox import add_message

AUDIT_MESSAGE = "registration.audit.recorded"
# The event's registration settings an organiser changes (API and page).
SETTINGS = ("confirm_email", "release_no_shows_after_minutes")


def audit(session: Session, event: str, action: str, details: dict[str, Any]) -> None:
    """Record who did `action` to `event` now, and publish the entry to the schedule service."""
    entry = record(session, AuditEntry, event, action, details)
    add_message(session, OutboxMessage, AUDIT_MESSAGE, entry.values(), aggregate=f"audit:{event}")


def change_settings(session: Session, event: Event, changes: dict[str, Any]) -> Event:
    """Give `event` the registration settings in `changes` (some of `SETTINGS`); the changed
    ones, old and new, go to the audit log."""
    before = {name: getattr(event, name) for name in SETTINGS}
    for name in SETTINGS:
        if name in changes:
            setattr(event, name, changes[name])
    changed = changed_values(before, {name: getattr(event, name) for name in SETTINGS})
    if changed:
        audit(session, event.slug, SETTINGS_CHANGED, {"changes": changed})
    return event
