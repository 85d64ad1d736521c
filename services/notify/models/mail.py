from datetime import datetime

from sqlalchemy import JSON, Index, Integer, LargeBinary, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from services.notify.models.base import Base
from shared.db import IDS_NEVER_REUSED, UTCDateTime, utcnow

# A mail's states: waiting for its (next) attempt, claimed by a sender, finished.
QUEUED = "queued"
SENDING = "sending"
RETRYING = "retrying"
SENT = "sent"
FAILED = "failed"
MAIL_STATES = (QUEUED, SENDING, RETRYING, SENT, FAILED)


class OutgoingMail(Base):
    """One mail to one recipient: its content is fixed when it is queued (in the transaction of
    its cause); the delivery worker composes and sends it, so consumers stay fast.

    `dedup_key` is (cause, recipient, kind): a redelivered message or a repeated release queues
    nothing twice. After erasure, or once an erasure confirmation is sent, `recipient`,
    `content` and `message` are cleared and only this delivery record stays.
    """

    __tablename__ = "outgoing_mail"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dedup_key: Mapped[str] = mapped_column(String(300), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    event_slug: Mapped[str | None] = mapped_column(String(100), nullable=True)
    cause_message_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    # No foreign key: the record of a mail outlives the attendee's erasure.
    attendee_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    session_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # The organiser's message (`AttendeeMessage`) this mail delivers, if it is one.
    attendee_message_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    recipient: Mapped[str | None] = mapped_column(String(320), nullable=True)
    # What the mail says, fixed when it is queued: {"name", "locale", "context", "invitation":
    # [method, ics] | null, "qr_code"}; the delivery worker composes `message` from it once.
    content: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    message: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    scrub_after_send: Mapped[bool] = mapped_column(default=False)
    state: Mapped[str] = mapped_column(String(20), default=QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The server's final answer to the mail's data on success ("250 2.0.0 Ok: queued as 4F3A"),
    # for the organiser's mail history; failures keep theirs in `last_error`.
    smtp_reply: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    __table_args__ = (
        Index(
            "ix_outgoing_mail_due",
            "next_attempt_at",
            postgresql_where=text("state IN ('queued', 'retrying')"),
            sqlite_where=text("state IN ('queued', 'retrying')"),
        ),
        Index(
            "ix_outgoing_mail_sending",
            "claimed_at",
            postgresql_where=text("state = 'sending'"),
            sqlite_where=text("state = 'sending'"),
        ),
        # An event's mail history, newest first.
        Index("ix_outgoing_mail_event", "event_slug", "id"),
        IDS_NEVER_REUSED,
    )
