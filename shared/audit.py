"""Who did what, and when, per event (issue 12): the audit log.

Every service has an `audit_log` table (`AuditEntryMixin`, one of the common tables of
`shared.models.service_tables`) and writes an entry with `record`, in the transaction of the
change it records, so an entry exists exactly when the change does. The log is read in one place,
the schedule service: registration publishes each of its entries as `registration.audit.recorded`
in the same transaction, and schedule copies it into its own table.

An entry names the actor (a token's or an account's name, `COMMAND_LINE` for `todo`, `PLATFORM`
for what the platform does by itself), the action (one of the constants below) and small facts
about it: ids, counts, field names, old and new times or capacities. Never personal data: the log
outlives erasures and purges unchanged.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import g, has_request_context
from sqlalchemy import JSON, Index, Integer, String
from sqlalchemy.orm import Mapped, Session, declared_attr, mapped_column

from shared.db import UTCDateTime, utcnow

# The actions. Details: `release` (number), `changes` (how many sessions it changes).
PUBLISHED = "programme.published"
# `session`, `title`, `changes`: {field: [old, new]} of starts_at, ends_at (ISO times), capacity
# and registration (the mode).
SESSION_CHANGED = "session.changed"
# `stage` (guid), `stage_name`, `minutes`, `sessions` (ids moved), `release`.
LIVE_DELAYED = "live.delayed"
# `session`, `status` (on_air, ended, scheduled).
LIVE_STATUS_CHANGED = "live.status_changed"
# `session` (None: all sessions), `count` (rows).
ATTENDEES_EXPORTED = "attendees.exported"
# `session`, `status` and `checked_in` (the list's filter), `page`, `count` (tickets shown).
TICKETS_LISTED = "attendees.listed"
# `ticket`, `session`.
CHECKED_IN = "ticket.checked_in"
# `changes`: {field: [old, new]} of confirm_email, release_no_shows_after_minutes.
SETTINGS_CHANGED = "registration.settings_changed"
# Attendee admin (issue 13), ids only. `ticket`, `session`, `attendee`.
TICKET_CANCELLED_BY_ORGANISER = "ticket.cancelled_by_organiser"
# `ticket`, `session`, `attendee`, `over_capacity` (a seat was added beyond the capacity).
TICKET_PROMOTED_BY_HAND = "ticket.promoted_by_hand"
# `ticket`, `session`, `attendee`, `new_ticket` (False: the person's own ticket was used).
TICKET_WALK_IN = "ticket.walk_in"
# `attendee`, `what` (confirmation, manage_link), `tickets` (ids whose status mail went again).
ATTENDEE_MAIL_RESENT = "attendee.mail_resent"
ACTIONS = (
    PUBLISHED,
    SESSION_CHANGED,
    LIVE_DELAYED,
    LIVE_STATUS_CHANGED,
    ATTENDEES_EXPORTED,
    TICKETS_LISTED,
    CHECKED_IN,
    SETTINGS_CHANGED,
    TICKET_CANCELLED_BY_ORGANISER,
    TICKET_PROMOTED_BY_HAND,
    TICKET_WALK_IN,
    ATTENDEE_MAIL_RESENT,
)

# The actor outside any request: an operator's `todo` command.
COMMAND_LINE = "todo"
# The actor of what the platform does by itself (workers, handlers), given explicitly.
PLATFORM = "platform"
ACTOR_LENGTH = 100
ACTION_LENGTH = 40


class AuditEntryMixin:
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event: Mapped[str] = mapped_column(String(63))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor: Mapped[str] = mapped_column(String(ACTOR_LENGTH))
    action: Mapped[str] = mapped_column(String(ACTION_LENGTH))
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    @declared_attr.directive
    def __table_args__(cls):
        # An event's log, newest first.
        return (Index("ix_audit_log_event_at", "event", "at"),)

    def values(self) -> dict[str, Any]:
        """The entry's fields, as `registration.audit.recorded` carries them."""
        return {
            "event": self.event,
            "at": self.at,
            "actor": self.actor,
            "action": self.action,
            "details": self.details,
        }


def current_actor() -> str:
    """Who acts now: the organiser (token or account) of the request; outside a request the
    operator's command line."""
    if has_request_context():
        principal = g.get("principal")
        if principal is not None:
            return principal.name
        return PLATFORM
    return COMMAND_LINE


def record(
    session: Session,
    model: type[AuditEntryMixin],
    event: str,
    action: str,
    details: dict[str, Any],
    actor: str | None = None,
    *,
    at: datetime | None = None,
) -> AuditEntryMixin:
    """Add an entry to the caller's transaction: `actor` None is `current_actor()`, `at` None
    now. `details` must be JSON (no datetimes: ISO strings) and hold no personal data."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}; one of {', '.join(ACTIONS)}")
    entry = model(
        event=event,
        at=at or utcnow(),
        actor=(actor or current_actor())[:ACTOR_LENGTH],
        action=action,
        details=details,
    )
    session.add(entry)
    return entry


def changed_values(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list]:
    """{field: [old, new]} of the fields of `after` whose value differs from `before`'s;
    datetimes as ISO strings in UTC."""

    def plain(value: Any) -> Any:
        return value.astimezone(UTC).isoformat() if isinstance(value, datetime) else value

    return {
        name: [plain(before.get(name)), plain(value)]
        for name, value in after.items()
        if before.get(name) != value
    }
