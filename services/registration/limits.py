"""Rate limits on registering and on asking for the manage link: per client address and per
email address, counted where every worker and process shares them (`shared.ratelimit`).

The limits come from `RegistrationSettings` (REGISTRATION_RATE_LIMIT_PER_IP / _PER_EMAIL).
"""

from __future__ import annotations

from functools import wraps

from flask import current_app, g, request
from flask_babel import gettext

from services.registration.models import RateCounter
from shared.ratelimit import app_counters, enforce


def _email_in_body() -> str | None:
    body = request.get_json(silent=True)
    # The JSON API sends a body, the registration page a form.
    email = body.get("email") if isinstance(body, dict) else request.form.get("email")
    return email.strip().casefold() if isinstance(email, str) and email.strip() else None


def rate_limited(view):
    """Refuse with 429 when this client address, or the email address sent, asked too often."""

    @wraps(view)
    def limited(*args, **kwargs):
        settings = current_app.extensions["registration_settings"]
        hits = [(limit, request.remote_addr or "") for limit in settings.limits_per_ip]
        email = _email_in_body()
        if email is not None:
            hits += [(limit, email) for limit in settings.limits_per_email]
        enforce(
            app_counters(current_app, RateCounter),
            hits,
            gettext(
                "Too many registrations came from here just now. Please wait a minute and try again."
            ),
        )
        return view(*args, **kwargs)

    return limited


def limit_checkins() -> None:
    """Count a check-in attempt of the signed-in organiser (token or account), found or not;
    refuse with 429 over `REGISTRATION_CHECKIN_RATE_LIMIT`, so that codes cannot be guessed."""
    settings = current_app.extensions["registration_settings"]
    principal = g.principal
    who = f"{principal.organisation or ''}:{principal.name}"
    enforce(
        app_counters(current_app, RateCounter),
        [(limit, who) for limit in settings.checkin_limits],
        gettext("Too many check-ins from this account just now. Please wait a minute."),
    )
