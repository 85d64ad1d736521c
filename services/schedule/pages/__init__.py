"""The schedule service's HTML pages: the programme for attendees, the street screen, the
organisers' login, draft editing, publishing and live control. Views stay thin: they read the
published release (or the draft) through the schedule's domain functions and render."""

from flask import Blueprint

pages = Blueprint(
    "schedule_pages",
    __name__,
    template_folder="../templates",
    static_folder="static",
    static_url_path="/static/schedule",
)

# Imported for their routes on `pages`.
from services.schedule.pages import (  # noqa: E402, F401
    attendee,
    audit,
    changes,
    events,
    organisation,
    organiser,
    screen,
    speakers_admin,
)
