from datetime import datetime

from sqlalchemy import Boolean, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from services.notify.models.base import Base
from shared.db import IDS_NEVER_REUSED, UTCDateTime, utcnow


class AttendeeMessage(Base):
    """A message an organiser writes to the attendees of an event or of one session.

    It is stored when the organiser previews it (a draft, `sent_at` empty) and sent once: the
    send names the draft by its `token`, and only the request that sets `sent_at` queues the
    mails (one `OutgoingMail` per attendee, `organiser_message`), so a double click or a
    repeated request sends nothing twice. Holds no attendee's personal data.
    """

    __tablename__ = "attendee_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_slug: Mapped[str] = mapped_column(String(100))
    # Random, unguessable: what the preview's send button names.
    token: Mapped[str] = mapped_column(String(64), unique=True)
    # To the ticket holders of this session (the schedule service's id); None: of the event.
    session_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Whether people on the waiting list get it too (seat holders always do).
    include_waiting: Mapped[bool] = mapped_column(Boolean, default=False)
    subject_de: Mapped[str] = mapped_column(String(150))
    text_de: Mapped[str] = mapped_column(Text)
    # Empty: English readers get the German message.
    subject_en: Mapped[str] = mapped_column(String(150), default="")
    text_en: Mapped[str] = mapped_column(Text, default="")
    # The organiser's account or token name.
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # How many mails the send queued.
    recipient_count: Mapped[int | None] = mapped_column(Integer, nullable=True)

    __table_args__ = (
        # An event's messages, newest first.
        Index("ix_attendee_messages_event_created", "event_slug", "created_at"),
        IDS_NEVER_REUSED,
    )
