"""What views hand to domain functions besides the request's session."""

from __future__ import annotations

from flask import current_app

from services.notify.mails import Mailer


def mailer() -> Mailer:
    return current_app.extensions["notify_mailer"]
