"""The registration service's tables; importing this package registers every model on `Base`."""

from services.registration.models.attendee import Attendee
from services.registration.models.base import (
    ApiToken,
    AuditEntry,
    Base,
    EventOwner,
    OrganiserSessionRevocation,
    OutboxMessage,
    ProcessedMessage,
    RateCounter,
)
from services.registration.models.event import Event
from services.registration.models.idempotency import IdempotentResponse
from services.registration.models.programme_session import ProgrammeSession
from services.registration.models.seat import Seat
from services.registration.models.ticket import Ticket

__all__ = [
    "ApiToken",
    "Attendee",
    "AuditEntry",
    "Base",
    "Event",
    "EventOwner",
    "IdempotentResponse",
    "OrganiserSessionRevocation",
    "OutboxMessage",
    "ProcessedMessage",
    "ProgrammeSession",
    "RateCounter",
    "Seat",
    "Ticket",
]
