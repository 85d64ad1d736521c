"""The notify service's HTML pages on the shared layout: for organisers, the event's mail
history and messages to attendees. Views stay thin: parse the form, call one domain function
(the same the JSON API calls), render."""

from flask import Blueprint

pages = Blueprint(
    "notify_pages",
    __name__,
    template_folder="../templates",
    static_folder="static",
    static_url_path="/static/notify",
)

# Imported for their routes on `pages`.
from services.notify.pages import attention, organiser  # noqa: E402, F401
