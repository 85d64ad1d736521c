"""A stage or venue of an event: where sessions happen and, if streamed, where to watch them."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from services.schedule.models.base import Base
from shared.db import IDS_NEVER_REUSED


class Stage(Base):
    __tablename__ = "stages"
    __table_args__ = (UniqueConstraint("event_id", "guid"), IDS_NEVER_REUSED)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    guid: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300), default="")
    # Seats; a session that requires registration takes this unless it sets its own.
    capacity: Mapped[int | None] = mapped_column(Integer, nullable=True)
    stream_url: Mapped[str] = mapped_column(String(500), default="")
