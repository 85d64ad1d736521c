"""What views hand to domain functions besides the request's session."""

from __future__ import annotations

from flask import current_app

from services.registration.settings import Links, RegistrationSettings


def links() -> Links:
    return current_app.extensions["registration_links"]


def settings() -> RegistrationSettings:
    return current_app.extensions["registration_settings"]
