"""The registration service's HTML pages on the shared layout: the registration form and its
confirmation, the attendee's manage page behind the secret link, and the organisers' counts,
attendee lists, check-in and export. Views stay thin: parse the form, call one domain function
(the same the JSON API calls), render."""

from flask import Blueprint

pages = Blueprint(
    "registration_pages",
    __name__,
    template_folder="../templates",
    static_folder="static",
    static_url_path="/static/registration",
)

# Imported for their routes on `pages`.
from services.registration.pages import (  # noqa: E402, F401
    attendee,
    attendees,
    attention,
    manage,
    organiser,
    statistics,
)
