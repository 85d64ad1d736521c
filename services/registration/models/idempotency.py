from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from services.registration.models.base import Base
from shared.db import UTCDateTime, utcnow


class IdempotentResponse(Base):
    """The first answer to a POST with an `Idempotency-Key`, returned again for retries."""

    __tablename__ = "idempotent_responses"

    scope: Mapped[str] = mapped_column(String(200), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    # Whom the answer is about: erasing them deletes it (it names their address).
    attendee_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
