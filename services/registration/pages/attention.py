"""Registration's part of the event's overview on the schedule service: full and nearly full
sessions, seats waiting for an email confirmation."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from services.registration import reports
from services.registration.pages import pages
from services.registration.pages.common import load_event
from shared.db import utcnow
from shared.pages import attention_fragment
from shared.pages.organisers import organiser_login_required
from shared.web import db_session


@pages.get("/<event>/organiser/attention")
@organiser_login_required("statistics.read")
def organiser_attention(event: str):
    found = load_event(event)
    return attention_fragment(
        "pages/organiser/_attention.html",
        event=found,
        attention=reports.attention(db_session(), event, utcnow()),
        tz=ZoneInfo(found.timezone),
    )
