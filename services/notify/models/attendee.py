from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from services.notify.models.base import Base
from shared.db import UTCDateTime


class Attendee(Base):
    """Notify's copy of an attendee: what it takes to write to them and to serve their feed."""

    __tablename__ = "attendees"

    # The registration service's attendee id.
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    event_slug: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(300))
    email: Mapped[str] = mapped_column(String(320))
    locale: Mapped[str] = mapped_column(String(5))
    manage_url: Mapped[str] = mapped_column(String(1000))
    feed_token: Mapped[str] = mapped_column(String(200), unique=True)
    # occurred_at of the newest message applied, so older ones arriving late change nothing.
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ErasedAttendee(Base):
    """A tombstone without personal data: messages about an erased attendee that arrive late
    must not bring their data back."""

    __tablename__ = "erased_attendees"

    attendee_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    erased_at: Mapped[datetime] = mapped_column(UTCDateTime())
