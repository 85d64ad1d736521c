from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from services.notify.models.base import Base
from shared.db import UTCDateTime

# What a feed holds (its `kind`): the whole programme, a track, a day, an attendee's sessions.
PROGRAMME = "programme"
TRACK = "track"
DAY = "day"
PERSONAL = "personal"


class Feed(Base):
    """A calendar feed rendered once per change and served as stored bytes.

    `key` is "" for the programme, the track slug, the day (YYYY-MM-DD) or the attendee's feed
    token; `attendee_id` is set for personal feeds only.
    """

    __tablename__ = "feeds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_slug: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(200))
    attendee_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    etag: Mapped[str] = mapped_column(String(80))
    last_modified: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("event_slug", "kind", "key", name="uq_feeds_address"),)
