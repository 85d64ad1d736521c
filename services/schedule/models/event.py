"""An event week (edition), e.g. `todo2024`; everything else in the programme belongs to one."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.schedule.models.base import Base, EventOwner
from shared.db import IDS_NEVER_REUSED, UTCDateTime, utcnow


class Event(Base):
    __tablename__ = "events"
    __table_args__ = IDS_NEVER_REUSED

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Berlin")
    locale: Mapped[str] = mapped_column(String(5), default="de")
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    address: Mapped[str] = mapped_column(String(300), default="")
    url: Mapped[str] = mapped_column(String(500), default="")
    # How registration starts out for this event (None: the registration service's default).
    confirm_email: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    release_no_shows_after_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # SHA-256 of the last programme file imported, so re-loading the same file changes nothing.
    source_digest: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    owner: Mapped[EventOwner | None] = relationship(
        primaryjoin="foreign(EventOwner.event) == Event.slug", viewonly=True
    )

    @property
    def organisation(self) -> str | None:
        """The organisation that owns the event (services.schedule.organisations)."""
        return self.owner.organisation if self.owner is not None else None
