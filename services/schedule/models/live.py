"""The livestream schedule: what organisers mark on air or ended, and the delays they announce."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from services.schedule.models.base import Base
from shared.db import UTCDateTime, utcnow


class LiveStatus(Base):
    """A session's live state as the organisers set it (on_air | ended)."""

    __tablename__ = "live_statuses"

    session_id: Mapped[int] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True
    )
    status: Mapped[str] = mapped_column(String(20))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class StageDelay(Base):
    """A delay announced on a stage; the sessions it moved are in the release it published."""

    __tablename__ = "stage_delays"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stage_id: Mapped[int] = mapped_column(ForeignKey("stages.id", ondelete="CASCADE"), index=True)
    minutes: Mapped[int] = mapped_column(Integer)
    first_session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"))
    announced_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
