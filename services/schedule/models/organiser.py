"""An organiser's account for the web pages (`todo create-organiser NAME`), password hashed."""

from services.schedule.models.base import Base
from shared.pages.organisers import OrganiserAccountMixin


class OrganiserAccount(OrganiserAccountMixin, Base):
    pass
