from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from services.registration.models.base import Base
from shared.db import UTCDateTime


class Event(Base):
    """An edition of the event week, as the last applied programme release describes it."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(300), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Berlin")
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    # Releases can arrive out of order; an older one than this is ignored.
    release_number: Mapped[int] = mapped_column(Integer, default=0)
    # None: follow the service default (REGISTRATION_CONFIRM_EMAIL); else this event's choice.
    confirm_email: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    # Minutes after a session's start when seats of tickets not checked in go to people at the
    # door. None: follow the service default (REGISTRATION_RELEASE_NO_SHOWS_AFTER_MINUTES).
    release_no_shows_after_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    personal_data_purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
