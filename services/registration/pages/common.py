"""What the registration pages share: the domain's bilingual messages in the page's language,
the event behind a URL, the service's links and settings."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, current_app
from flask_babel import gettext as _

from services.registration.booking import find_event
from services.registration.errors import DomainError
from services.registration.models import Event, ProgrammeSession
from services.registration.settings import Links, RegistrationSettings
from shared.pages import in_language
from shared.web import db_session


def links() -> Links:
    return current_app.extensions["registration_links"]


def settings() -> RegistrationSettings:
    return current_app.extensions["registration_settings"]


def field_errors(errors: dict[str, Any]) -> dict[str, list[str]]:
    """Domain or schema errors as {field: [messages in the page's language]}; a session's
    problems (`{"sessions": {"12": [...]}}`) under `session-12`."""
    flat: dict[str, list[str]] = {}
    for key, problems in errors.items():
        if key == "sessions" and isinstance(problems, dict):
            for session_id, nested in problems.items():
                listed = nested if isinstance(nested, list) else [nested]
                flat.setdefault(f"session-{session_id}", []).extend(
                    in_language(str(p)) for p in listed
                )
        else:
            listed = problems if isinstance(problems, list) else [problems]
            flat.setdefault(key, []).extend(in_language(str(p)) for p in listed)
    return flat


def load_event(slug: str) -> Event:
    try:
        return find_event(db_session(), slug)
    except DomainError:
        abort(404, _("There is no such event."))


def local_times(programme_session: ProgrammeSession) -> tuple:
    zone = ZoneInfo(programme_session.event.timezone)
    return programme_session.starts_at.astimezone(zone), programme_session.ends_at.astimezone(zone)
