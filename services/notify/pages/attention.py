"""Notify's part of the event's overview on the schedule service: mails that could not be
delivered, and mails waiting to be tried again."""

from __future__ import annotations

from services.notify.mail_history import find_event, undelivered_mail_counts
from services.notify.models.mail import FAILED, RETRYING
from services.notify.pages import pages
from shared.pages import attention_fragment
from shared.pages.organisers import organiser_login_required
from shared.web import db_session


@pages.get("/<event>/organiser/attention")
@organiser_login_required("attendees.read")
def organiser_attention(event: str):
    found = find_event(db_session(), event)
    counts = undelivered_mail_counts(db_session(), found.slug)
    return attention_fragment(
        "pages/organiser/_attention.html",
        event=found,
        failed=counts[FAILED],
        retrying=counts[RETRYING],
    )
