from __future__ import annotations

from sqlalchemy import ForeignKey, Index, Integer, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from services.registration.models.base import Base


class Seat(Base):
    """One row per seat of a session, so concurrent registrations lock different rows.

    A seat is free while `ticket_id` is NULL. Registrations claim the first free seat that no
    other transaction has locked (`FOR UPDATE SKIP LOCKED`); there is no per-session counter row
    whose lock every registration would hold through its commit.
    """

    __tablename__ = "seats"
    __table_args__ = (
        UniqueConstraint("session_id", "number"),
        Index(
            "ix_seats_free",
            "session_id",
            "number",
            postgresql_where=text("ticket_id IS NULL"),
            sqlite_where=text("ticket_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id"))
    number: Mapped[int] = mapped_column(Integer)
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("tickets.id"), nullable=True, unique=True
    )
