"""A speaker's photo, stored once per event under the SHA-256 of its bytes.

Content-addressed, so a release keeps showing the photo it was published with after the speaker
gets a new one or none, and every instance of the service serves the same bytes from the
database. Only JPEGs that `services.schedule.photos` made are stored here.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from services.schedule.models.base import Base
from shared.db import UTCDateTime, utcnow


class SpeakerPhoto(Base):
    __tablename__ = "speaker_photos"
    # Found by digest, never by id: a reused id would mislead nobody.
    __table_args__ = (UniqueConstraint("event_id", "digest"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Found by (event_id, digest): the unique constraint's index serves both.
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    # Hex SHA-256 of `data`.
    digest: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
