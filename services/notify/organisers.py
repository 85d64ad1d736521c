"""Mails to organiser accounts: the one-time link to set the password, for a member an owner
invited or one whose owner sent a new link.

The link is the secret that sets the account's password: the mail is scrubbed as soon as it is
sent or has failed (`scrub_after_send`), so the link does not stay in notify's database. It is
mailed in the account's language, without anything of an attendee (no manage link, no feed).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from services.notify.mails import Mailer, Recipient, local_datetime, single_line
from services.notify.models import OutgoingMail
from shared.i18n import translations_for
from shared.permissions import ROLE_NAMES

PASSWORD_LINK_MAIL = "organiser_password_link"
# The link is valid until a moment; organisers read it in the platform's home time.
PASSWORD_LINK_TIMEZONE = "Europe/Berlin"


def send_password_link(
    session: Session,
    data: dict[str, Any],
    *,
    mailer: Mailer,
    cause_message_id: str,
) -> OutgoingMail | None:
    """Queue the mail with the link to set the password (once per message, however often it
    is delivered). An address that cannot be written fails the mail in the delivery worker,
    like any other mail (the message schema admits http(s) links only)."""
    locale = data["locale"]
    organisation_name = single_line(data["organisation_name"])
    return mailer.queue(
        session,
        kind=PASSWORD_LINK_MAIL,
        cause=cause_message_id,
        # Not an attendee: the dedup key is the message and the kind.
        recipient=Recipient(data["account"], data["email"], locale, None),
        event_slug=None,
        context={
            "name": single_line(data["account"]),
            # The heading of the mail, where attendees' mails name their event.
            "event_title": organisation_name,
            "organisation_name": organisation_name,
            "role_name": ROLE_NAMES[data["role"]].translated(translations_for(locale)),
            "invited": data["invited"],
            "invited_by": single_line(data["invited_by"]),
            "url": data["set_password_url"],
            "expires": local_datetime(data["expires_at"], PASSWORD_LINK_TIMEZONE, locale),
        },
        cause_message_id=cause_message_id,
        scrub_after_send=True,
    )
