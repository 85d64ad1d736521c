"""HTTP API of the notify service (flask-smorest blueprints): the calendar feeds."""

from services.notify.api import feeds

BLUEPRINTS: list = [feeds.blp]
