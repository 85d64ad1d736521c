from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.notify.models.attendee import Attendee
from services.notify.models.base import Base
from shared.db import UTCDateTime


class Ticket(Base):
    """Notify's copy of a ticket. `session_id` has no foreign key: a ticket may arrive before
    the release that carries its session."""

    __tablename__ = "tickets"

    # The registration service's ticket id.
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    attendee_id: Mapped[int] = mapped_column(
        ForeignKey("attendees.id", ondelete="CASCADE"), index=True
    )
    session_id: Mapped[int] = mapped_column(Integer, index=True)
    # The name given when this ticket was booked: mails about it greet with this name.
    name: Mapped[str] = mapped_column(String(300), server_default="")
    code: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20))
    waitlist_position: Mapped[int | None] = mapped_column(Integer, nullable=True)
    confirm_url: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    hold_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # occurred_at of the newest message applied, so older ones arriving late change nothing.
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    attendee: Mapped[Attendee] = relationship(lazy="joined", innerjoin=True)
