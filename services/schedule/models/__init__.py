"""The schedule service's tables; importing this package registers every model on `Base`."""

from services.schedule.models.base import (
    ApiToken,
    AuditEntry,
    Base,
    EventOwner,
    OrganiserSessionRevocation,
    OutboxMessage,
    ProcessedMessage,
)
from services.schedule.models.event import Event
from services.schedule.models.live import LiveStatus, StageDelay
from services.schedule.models.organisation import Organisation
from services.schedule.models.organiser import OrganiserAccount, RateCounter
from services.schedule.models.photo import SpeakerPhoto
from services.schedule.models.release import Release, ReleaseExport
from services.schedule.models.session import ProgrammeSession, SessionSpeaker, session_tracks
from services.schedule.models.speaker import Speaker
from services.schedule.models.stage import Stage
from services.schedule.models.track import Track

__all__ = [
    "ApiToken",
    "AuditEntry",
    "Base",
    "Event",
    "EventOwner",
    "LiveStatus",
    "Organisation",
    "OrganiserAccount",
    "OrganiserSessionRevocation",
    "OutboxMessage",
    "ProcessedMessage",
    "ProgrammeSession",
    "RateCounter",
    "Release",
    "ReleaseExport",
    "SessionSpeaker",
    "Speaker",
    "SpeakerPhoto",
    "Stage",
    "StageDelay",
    "Track",
    "session_tracks",
]
