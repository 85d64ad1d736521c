"""What the schedule API's views share: loading the event and requiring an organiser."""

from __future__ import annotations

from flask_smorest import abort

from services.schedule.draft import find_event
from services.schedule.models import ApiToken, Event
from shared.auth import organiser_required
from shared.web import db_session

organiser = organiser_required(ApiToken)
ORGANISER_SECURITY = [{"organiser": []}]


def load_event(slug: str) -> Event:
    event = find_event(db_session(), slug)
    if event is None:
        abort(404, message=f"Unbekannte Veranstaltung {slug!r}. / Unknown event.")
    return event


def not_found(what: str) -> None:
    abort(404, message=f"{what} nicht gefunden. / {what} not found.")
