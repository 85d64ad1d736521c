"""What the registration pages share: where a form shows the domain's messages, the event
behind a URL, the service's links and settings."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import current_app

from services.registration.booking import find_event
from services.registration.models import Event, ProgrammeSession
from services.registration.settings import Links, RegistrationSettings
from shared.web import db_session


def links() -> Links:
    return current_app.extensions["registration_links"]


def settings() -> RegistrationSettings:
    return current_app.extensions["registration_settings"]


def form_field(path: tuple[str, ...]) -> str:
    """The form field that shows an error (`shared.web.field_errors`): a session's problems
    (`{"sessions": {"12": [...]}}`) show at `session-12`."""
    if path[0] == "sessions" and len(path) > 1:
        return f"session-{path[1]}"
    return path[0]


def load_event(slug: str) -> Event:
    return find_event(db_session(), slug)


def local_times(programme_session: ProgrammeSession) -> tuple:
    zone = ZoneInfo(programme_session.event.timezone)
    return programme_session.starts_at.astimezone(zone), programme_session.ends_at.astimezone(zone)
