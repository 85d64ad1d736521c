"""What the schedule API's views share: loading the event and requiring an organiser."""

from __future__ import annotations

from flask import request
from flask_smorest import abort

from services.schedule.draft import find_event
from services.schedule.models import ApiToken, Event
from shared.auth import organiser_required
from shared.i18n import Message
from shared.web import db_session

organiser = organiser_required(ApiToken)


def load_event(slug: str) -> Event:
    event = find_event(db_session(), slug)
    if event is None:
        abort(404, message=f"Unbekannte Veranstaltung {slug!r}. / Unknown event.")
    return event


def sees_the_draft() -> bool:
    """Whether the caller is an organiser (a valid token; a wrong one is 401): they read the
    draft where the public reads the published programme."""
    if "Authorization" not in request.headers:
        return False
    organiser(lambda: None)()
    return True


def not_found(message: Message) -> None:
    abort(404, message=message)
