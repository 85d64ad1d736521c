"""Personal data in notify past its time: finished mail keeps only its delivery record.

Addresses, names and links are in a mail's `recipient`, `content` and `message` (and, from
before reasons left addresses out, in `last_error`). A sent or failed mail keeps them for
`MAIL_RETENTION_DAYS` (the organiser may look into a recent failure), an erasure confirmation
not at all. The reminder worker runs this once an hour.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.orm import Session

from services.notify.models import OutgoingMail
from services.notify.models.mail import FAILED, SENT

FINISHED = (SENT, FAILED)


def scrub_finished_mail(session: Session, now: datetime, retention: timedelta) -> int:
    """Clear what finished mail says and to whom, once past `retention` (or at once where it
    asks for that); returns how many mails were scrubbed."""
    return session.execute(
        update(OutgoingMail)
        .where(
            OutgoingMail.state.in_(FINISHED),
            or_(OutgoingMail.created_at < now - retention, OutgoingMail.scrub_after_send),
            # `content` goes with `recipient` (and None in a JSON column is stored as 'null').
            or_(
                OutgoingMail.recipient.is_not(None),
                OutgoingMail.message.is_not(None),
                OutgoingMail.last_error.is_not(None),
            ),
        )
        .values(recipient=None, content=None, message=None, last_error=None)
        .execution_options(synchronize_session=False)
    ).rowcount
