"""A person who speaks in sessions of an event."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.schedule.models.base import Base
from services.schedule.models.event import Event
from shared.db import IDS_NEVER_REUSED


class Speaker(Base):
    __tablename__ = "speakers"
    __table_args__ = (UniqueConstraint("event_id", "guid"), IDS_NEVER_REUSED)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    guid: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    organisation: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(200), default="")
    # Shown on the public speaker page, German and English (empty: none).
    biography: Mapped[str] = mapped_column(Text, default="", server_default="")
    biography_en: Mapped[str] = mapped_column(Text, default="", server_default="")
    # The SHA-256 of the speaker's photo in `speaker_photos` (same event); None: no photo.
    photo_digest: Mapped[str | None] = mapped_column(String(64), default=None)

    event: Mapped[Event] = relationship()
