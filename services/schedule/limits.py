"""Rate limit on the organiser login: password guessing from one address is slowed down."""

from __future__ import annotations

from flask_babel import gettext
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

limiter = Limiter(key_func=get_remote_address, headers_enabled=True)

LOGIN_ATTEMPTS_PER_ADDRESS = "10 per minute"

login_attempts = limiter.limit(
    LOGIN_ATTEMPTS_PER_ADDRESS,
    methods=["POST"],
    # Called per refusal, so the message is in the visitor's language.
    error_message=lambda: gettext("Too many sign-in attempts. Please wait a minute and try again."),
)
