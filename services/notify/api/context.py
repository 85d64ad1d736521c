"""What views hand to domain functions besides the request's session."""

from __future__ import annotations

from flask import current_app

from services.notify.feeds import FeedContext
from services.notify.mails import Mailer


def mailer() -> Mailer:
    return current_app.extensions["notify_mailer"]


def feed_context() -> FeedContext:
    return current_app.extensions["notify_feed_context"]
