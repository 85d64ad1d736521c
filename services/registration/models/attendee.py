from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.registration.models.base import Base
from services.registration.models.event import Event
from shared.db import IDS_NEVER_REUSED, UTCDateTime, utcnow


class Attendee(Base):
    """A person registered for sessions of one event, identified by their normalised email."""

    __tablename__ = "attendees"
    __table_args__ = (UniqueConstraint("event_id", "email"), IDS_NEVER_REUSED)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    locale: Mapped[str] = mapped_column(String(2), default="de")
    consent_at: Mapped[datetime] = mapped_column(UTCDateTime())
    consent_version: Mapped[str] = mapped_column(String(40))
    # Capabilities: whoever has the link may manage the booking / read the personal feed.
    manage_token: Mapped[str] = mapped_column(String(64), unique=True)
    feed_token: Mapped[str] = mapped_column(String(64), unique=True)
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    event: Mapped[Event] = relationship(lazy="joined")
