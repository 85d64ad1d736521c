"""An organiser's account for the web pages (`todo create-organiser NAME`, or invited by an
owner), password hashed, and the login attempts counted against password guessing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from services.schedule.models.base import Base
from shared.db import UTCDateTime
from shared.pages.organisers import OrganiserAccountMixin
from shared.ratelimit import RateCounterMixin


class OrganiserAccount(OrganiserAccountMixin, Base):
    # Where the link to set the password goes (accounts an owner invited).
    email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    # The one-time link to set the password: its secret's SHA-256, and until when it works.
    password_link_hash: Mapped[str | None] = mapped_column(
        String(64), nullable=True, unique=True, index=True
    )
    password_link_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class RateCounter(RateCounterMixin, Base):
    pass
