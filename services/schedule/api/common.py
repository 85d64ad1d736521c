"""What the schedule API's views share: requiring an organiser, answering 404."""

from __future__ import annotations

from flask import request
from flask_smorest import abort

from services.schedule.models import ApiToken, EventOwner
from shared import permissions
from shared.auth import bearer_principal, organiser_required
from shared.i18n import Message
from shared.organisations import event_owner
from shared.web import db_session

organiser = organiser_required(ApiToken)
# What a token needs to read the draft where the public reads the published programme.
DRAFT_READER = "programme.edit"


def sees_the_draft(event: str) -> bool:
    """Whether the caller may read `event`'s draft (a token that may edit it; a wrong token is
    401) where the public reads the published programme."""
    if "Authorization" not in request.headers:
        return False
    owner = event_owner(db_session(), EventOwner, event)
    return permissions.allowed(bearer_principal(ApiToken), DRAFT_READER, event, owner)


def not_found(message: Message) -> None:
    abort(404, message=message)
