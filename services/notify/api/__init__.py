"""HTTP API of the notify service (flask-smorest blueprints): the calendar feeds, and for
organisers the mail history and messages to attendees."""

from services.notify.api import feeds, organiser

BLUEPRINTS: list = [feeds.blp, organiser.blp]
