"""Rate limits on registration: per client address and per email address (Flask-Limiter).

Limits come from `RegistrationSettings` (REGISTRATION_RATE_LIMIT_PER_IP / _PER_EMAIL); counters
live in memory per process unless RATE_LIMIT_STORAGE_URL points at Redis.
"""

from __future__ import annotations

from flask import current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

limiter = Limiter(key_func=get_remote_address, headers_enabled=True)


def _settings():
    return current_app.extensions["registration_settings"]


def per_ip_limit() -> str:
    return _settings().rate_limit_per_ip


def per_email_limit() -> str:
    return _settings().rate_limit_per_email


def _email_in_body() -> str | None:
    body = request.get_json(silent=True)
    # The JSON API sends a body, the registration page a form.
    email = body.get("email") if isinstance(body, dict) else request.form.get("email")
    return email.strip().lower() if isinstance(email, str) and email.strip() else None


def email_key() -> str:
    return f"email:{_email_in_body()}"


def without_email() -> bool:
    return _email_in_body() is None


REGISTRATION_LIMITS = [
    limiter.limit(per_ip_limit),
    limiter.limit(per_email_limit, key_func=email_key, exempt_when=without_email),
]
