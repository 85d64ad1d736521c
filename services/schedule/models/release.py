"""A published release: an immutable, numbered snapshot of an event's programme.

`data` is exactly the `data` of the `schedule.release.published` message (JSON), so the API, the
exports and the other services all see the same programme. The exports are rendered once, when
the release is published, and served as stored bytes.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.schedule.models.base import Base
from services.schedule.models.event import Event
from shared.db import IDS_NEVER_REUSED, UTCDateTime


class Release(Base):
    __tablename__ = "releases"
    __table_args__ = (UniqueConstraint("event_id", "number"), IDS_NEVER_REUSED)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[datetime] = mapped_column(UTCDateTime())
    data_json: Mapped[str] = mapped_column(Text)
    # The changelog alone, so listing releases need not parse whole programmes.
    changes_json: Mapped[str] = mapped_column(Text)

    event: Mapped[Event] = relationship()

    @property
    def data(self) -> dict[str, Any]:
        return json.loads(self.data_json)

    @property
    def changes(self) -> list[dict[str, Any]]:
        return json.loads(self.changes_json)


class ReleaseExport(Base):
    """One rendering of a release (programme JSON, schedule.xml, schedule.json)."""

    __tablename__ = "release_exports"

    release_id: Mapped[int] = mapped_column(
        ForeignKey("releases.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    media_type: Mapped[str] = mapped_column(String(100))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    # A strong ETag (quoted) over the body's bytes.
    etag: Mapped[str] = mapped_column(String(80))
