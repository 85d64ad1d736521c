"""An organiser's account for the web pages (`todo create-organiser NAME`), password hashed, and
the login attempts counted against password guessing."""

from services.schedule.models.base import Base
from shared.pages.organisers import OrganiserAccountMixin
from shared.ratelimit import RateCounterMixin


class OrganiserAccount(OrganiserAccountMixin, Base):
    pass


class RateCounter(RateCounterMixin, Base):
    pass
