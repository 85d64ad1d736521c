"""What the schedule API's views share: requiring an organiser, answering 404."""

from __future__ import annotations

from flask import request
from flask_smorest import abort

from services.schedule.models import ApiToken
from shared.auth import organiser_required
from shared.i18n import Message

organiser = organiser_required(ApiToken)


def sees_the_draft() -> bool:
    """Whether the caller is an organiser (a valid token; a wrong one is 401): they read the
    draft where the public reads the published programme."""
    if "Authorization" not in request.headers:
        return False
    organiser(lambda: None)()
    return True


def not_found(message: Message) -> None:
    abort(404, message=message)
