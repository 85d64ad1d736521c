"""A session of the draft programme: what organisers edit before publishing a release.

The integer `id` is the session's identity towards other services (tickets refer to it); the
`guid` is its identity in imported files (frab), so re-importing a file updates, not duplicates.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.schedule.models.base import Base
from services.schedule.models.speaker import Speaker
from services.schedule.models.stage import Stage
from services.schedule.models.track import Track
from shared.db import IDS_NEVER_REUSED, UTCDateTime
from shared.messages.schedule import SESSION_SCHEDULED

session_tracks = Table(
    "session_tracks",
    Base.metadata,
    Column("session_id", ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True),
    Column("track_id", ForeignKey("tracks.id", ondelete="CASCADE"), primary_key=True),
)


class SessionSpeaker(Base):
    """A speaker's place in a session; `position` keeps the order the organisers gave."""

    __tablename__ = "session_speakers"

    session_id: Mapped[int] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True
    )
    speaker_id: Mapped[int] = mapped_column(
        ForeignKey("speakers.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    speaker: Mapped[Speaker] = relationship(lazy="joined")


class ProgrammeSession(Base):
    __tablename__ = "sessions"
    __table_args__ = (UniqueConstraint("event_id", "guid"), IDS_NEVER_REUSED)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    guid: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300), default="")
    abstract: Mapped[str] = mapped_column(Text, default="")
    abstract_en: Mapped[str] = mapped_column(Text, default="")
    type: Mapped[str] = mapped_column(String(50), default="talk")
    language: Mapped[str] = mapped_column(String(10), default="de")
    stage_id: Mapped[int] = mapped_column(ForeignKey("stages.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    streamed: Mapped[bool] = mapped_column(Boolean, default=False)
    livestream_url: Mapped[str] = mapped_column(String(500), default="")
    # required | none | external
    registration_mode: Mapped[str] = mapped_column(String(20), default="none")
    # Seats when registration is required; None means the stage's capacity.
    registration_capacity: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Where to register when the mode is external: a URL or an email address.
    registration_external: Mapped[str] = mapped_column(String(500), default="")
    # scheduled | cancelled
    status: Mapped[str] = mapped_column(String(20), default=SESSION_SCHEDULED)
    # What the author of an imported file had to guess; not shown to attendees.
    assumption: Mapped[str] = mapped_column(Text, default="")

    stage: Mapped[Stage] = relationship(lazy="joined")
    tracks: Mapped[list[Track]] = relationship(secondary=session_tracks, lazy="selectin")
    speaker_links: Mapped[list[SessionSpeaker]] = relationship(
        order_by=SessionSpeaker.position, cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def speakers(self) -> list[Speaker]:
        return [link.speaker for link in self.speaker_links]

    @speakers.setter
    def speakers(self, speakers: list[Speaker]) -> None:
        self.speaker_links = [
            SessionSpeaker(speaker=speaker, position=index)
            for index, speaker in enumerate(speakers)
        ]
