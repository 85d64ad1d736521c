"""The notify service's tables; importing this package registers every model on `Base`."""

from services.notify.models.attendee import Attendee, ErasedAttendee
from services.notify.models.attendee_message import AttendeeMessage
from services.notify.models.base import (
    ApiToken,
    AuditEntry,
    Base,
    EventOwner,
    OrganiserSessionRevocation,
    OutboxMessage,
    ProcessedMessage,
)
from services.notify.models.event import Event
from services.notify.models.feed import Feed
from services.notify.models.mail import OutgoingMail
from services.notify.models.session import ProgrammeSession
from services.notify.models.ticket import Ticket

__all__ = [
    "ApiToken",
    "Attendee",
    "AttendeeMessage",
    "AuditEntry",
    "Base",
    "ErasedAttendee",
    "Event",
    "EventOwner",
    "Feed",
    "OrganiserSessionRevocation",
    "OutboxMessage",
    "OutgoingMail",
    "ProcessedMessage",
    "ProgrammeSession",
    "Ticket",
]
