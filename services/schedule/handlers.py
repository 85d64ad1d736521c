"""Message handlers of the schedule service: plain functions from envelopes to domain
functions, and the table of which queue and routing key each one handles."""

from __future__ import annotations

from sqlalchemy.orm import Session

from services.schedule.models import AuditEntry
from shared.audit import record
from shared.messages import Envelope


def on_audit_recorded(session: Session, envelope: Envelope, deps: None) -> None:
    """Copy an entry of registration's audit log into the event's one log."""
    data = envelope.data
    record(
        session,
        AuditEntry,
        data["event"],
        data["action"],
        data["details"],
        data["actor"],
        at=data["at"],
    )


HANDLERS = {
    "schedule.audit": {"registration.audit.recorded": on_audit_recorded},
}
