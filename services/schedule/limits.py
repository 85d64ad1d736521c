"""Rate limits on the organiser login: password guessing is slowed down per client address and
per account, counted in the schedule database so that every worker and machine shares them."""

from __future__ import annotations

from flask import current_app, request
from flask_babel import gettext

from services.schedule.models import RateCounter
from shared.ratelimit import DatabaseRateLimit, enforce

LOGIN_ATTEMPTS_PER_ADDRESS = DatabaseRateLimit("login-address", limit=10, period=60)
LOGIN_ATTEMPTS_PER_ACCOUNT = DatabaseRateLimit("login-account", limit=10, period=60)


def refuse_too_many_attempts(name: str) -> None:
    """Refuse with 429 when this address or this account has tried too often."""
    enforce(
        current_app.extensions["todo_db"],
        RateCounter,
        [
            (LOGIN_ATTEMPTS_PER_ADDRESS, request.remote_addr or ""),
            (LOGIN_ATTEMPTS_PER_ACCOUNT, name.casefold()),
        ],
        gettext("Too many sign-in attempts. Please wait a minute and try again."),
    )
