from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.registration.models.attendee import Attendee
from services.registration.models.base import Base
from services.registration.models.programme_session import ProgrammeSession
from shared.db import IDS_NEVER_REUSED, UTCDateTime, utcnow
from shared.messages.registration import (
    TICKET_CANCELLED,
    TICKET_CONFIRMED,
    TICKET_HELD,
    TICKET_WAITLISTED,
)

# The ticket statuses of the registration messages, by the names this service's code uses.
CONFIRMED = TICKET_CONFIRMED
WAITLISTED = TICKET_WAITLISTED
HELD = TICKET_HELD
CANCELLED = TICKET_CANCELLED
# Statuses that occupy a seat row.
SEATED = (CONFIRMED, HELD)


class Ticket(Base):
    """An attendee's place in one session: seated (confirmed or held), waiting, or cancelled."""

    __tablename__ = "tickets"
    __table_args__ = (
        UniqueConstraint("attendee_id", "session_id"),
        Index(
            "ix_tickets_waiting",
            "session_id",
            "requested_at",
            "id",
            postgresql_where=text("status = 'waitlisted'"),
            sqlite_where=text("status = 'waitlisted'"),
        ),
        Index("ix_tickets_session_status", "session_id", "status"),
        Index(
            "ix_tickets_hold_expiry",
            "hold_expires_at",
            postgresql_where=text("status = 'held'"),
            sqlite_where=text("status = 'held'"),
        ),
        IDS_NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    attendee_id: Mapped[int] = mapped_column(ForeignKey("attendees.id"))
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id"))
    status: Mapped[str] = mapped_column(String(20))
    # The name given in the registration that booked this place (as pretix stores an attendee
    # name per position): mails about the ticket greet with it, lists and the door show it. A
    # later registration of the same address by someone else cannot rename it.
    name: Mapped[str] = mapped_column(String(200), server_default="")
    # The check-in code printed as QR code, in its stored form (`services.registration.codes`:
    # 11 characters; codes from before are 16 characters of base64url).
    code: Mapped[str] = mapped_column(String(32), unique=True)
    # The waiting list is first come, first served by this time (then id).
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    hold_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Who checked the ticket in: the organiser's token or account name (None before it was kept).
    checked_in_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    cancel_reason: Mapped[str | None] = mapped_column(String(30), nullable=True)

    attendee: Mapped[Attendee] = relationship(lazy="joined")
    session: Mapped[ProgrammeSession] = relationship(lazy="joined")
