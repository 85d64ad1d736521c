from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.registration.models.base import Base
from services.registration.models.event import Event
from shared.db import UTCDateTime
from shared.messages.schedule import SESSION_CANCELLED, SESSION_SCHEDULED


class ProgrammeSession(Base):
    """The service's copy of a programme session; `id` is the schedule service's session id."""

    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    guid: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(500))
    title_en: Mapped[str] = mapped_column(String(500), default="")
    stage: Mapped[str] = mapped_column(String(200), default="")
    # Printed on the ticket, so that a printout finds the way to the door.
    stage_address: Mapped[str] = mapped_column(String(300), default="", server_default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    registration_mode: Mapped[str] = mapped_column(String(20))
    # The seats offered; the seat rows may outnumber it after a lowering (nobody loses a seat).
    capacity: Mapped[int | None] = mapped_column(Integer, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default=SESSION_SCHEDULED)

    event: Mapped[Event] = relationship(lazy="joined")

    @property
    def is_cancelled(self) -> bool:
        return self.status == SESSION_CANCELLED

    def display_title(self, locale: str) -> str:
        return self.title_en if locale == "en" and self.title_en else self.title
