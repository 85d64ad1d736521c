"""Rate limits on the organiser login: password guessing is slowed down per client address and
per account, counted where every worker and machine shares them (`shared.ratelimit`)."""

from __future__ import annotations

from flask import current_app, request
from flask_babel import gettext

from services.schedule.models import RateCounter
from shared.ratelimit import RateLimit, app_counters, enforce

LOGIN_ATTEMPTS_PER_ADDRESS = RateLimit("login-address", limit=10, period=60)
LOGIN_ATTEMPTS_PER_ACCOUNT = RateLimit("login-account", limit=10, period=60)


def refuse_too_many_attempts(name: str) -> None:
    """Refuse with 429 when this address or this account has tried too often."""
    enforce(
        app_counters(current_app, RateCounter),
        [
            (LOGIN_ATTEMPTS_PER_ADDRESS, request.remote_addr or ""),
            (LOGIN_ATTEMPTS_PER_ACCOUNT, name.casefold()),
        ],
        gettext("Too many sign-in attempts. Please wait a minute and try again."),
    )
