from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.notify.models.base import Base
from services.notify.models.event import Event
from shared.db import UTCDateTime
from shared.messages.schedule import SESSION_CANCELLED


class ProgrammeSession(Base):
    """Notify's copy of a programme session, with the SEQUENCE its calendar entries carry.

    `sequence` rises with every change calendar clients must act on (time, place, title,
    cancellation); mails and feeds both read it from here so they never disagree.
    """

    __tablename__ = "sessions"

    # The schedule service's session id.
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    guid: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(500))
    title_en: Mapped[str] = mapped_column(String(500), default="")
    abstract: Mapped[str] = mapped_column(Text, default="")
    abstract_en: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    stage_name: Mapped[str] = mapped_column(String(300))
    stage_address: Mapped[str] = mapped_column(String(500), default="")
    # [{"slug", "name"}] and [{"name", "organisation", "role"}] in programme order.
    tracks: Mapped[list] = mapped_column(JSON, default=list)
    speakers: Mapped[list] = mapped_column(JSON, default=list)
    livestream_url: Mapped[str] = mapped_column(String(500), default="")
    url: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(20))
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    # The times ticket holders were last told by mail (as first published, or in the last
    # "changed" mail): small shifts are measured from these, so several add up to a mail.
    mailed_starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    mailed_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # When anything shown in a calendar last changed (the release's time, so output is stable).
    modified_at: Mapped[datetime] = mapped_column(UTCDateTime())

    event: Mapped[Event] = relationship(lazy="joined", innerjoin=True)

    @property
    def cancelled(self) -> bool:
        return self.status == SESSION_CANCELLED

    @property
    def location(self) -> str:
        return ", ".join(part for part in (self.stage_name, self.stage_address) if part)

    def title_for(self, locale: str) -> str:
        return (self.title_en or self.title) if locale == "en" else self.title

    def abstract_for(self, locale: str) -> str:
        return (self.abstract_en or self.abstract) if locale == "en" else self.abstract
