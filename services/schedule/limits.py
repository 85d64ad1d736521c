"""Rate limits on the organiser login: password guessing is slowed down per client address and
per account, counted in the schedule database so that every worker and machine shares them."""

from __future__ import annotations

from flask import current_app, make_response, request
from flask_babel import gettext

from services.schedule.models import RateCounter
from shared.pages import render_message_page
from shared.ratelimit import DatabaseRateLimit

LOGIN_ATTEMPTS_PER_ADDRESS = DatabaseRateLimit("login-address", limit=10, period=60)
LOGIN_ATTEMPTS_PER_ACCOUNT = DatabaseRateLimit("login-account", limit=10, period=60)


def refuse_too_many_attempts(name: str):
    """A 429 page if this address or this account has tried too often, else None."""
    db = current_app.extensions["todo_db"]
    waits = [
        LOGIN_ATTEMPTS_PER_ADDRESS.hit(db, RateCounter, request.remote_addr or ""),
        LOGIN_ATTEMPTS_PER_ACCOUNT.hit(db, RateCounter, name.casefold()),
    ]
    wait = max((seconds for seconds in waits if seconds is not None), default=None)
    if wait is None:
        return None
    response = make_response(
        render_message_page(
            429,
            gettext("Too many attempts"),
            gettext("Too many sign-in attempts. Please wait a minute and try again."),
        )
    )
    response.headers["Retry-After"] = str(wait)
    return response
