"""The organisers' view of an event's mail: what went to whom, whether it was delivered, and
what the mail server answered (issue 13). Read-only, from the outbox `OutgoingMail`; an erased
attendee's mails show as delivery records without an address."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.notify.models import Event, OutgoingMail, ProgrammeSession
from services.notify.models.mail import FAILED, QUEUED, RETRYING, SENDING, SENT
from shared.errors import UNKNOWN, NotFound
from shared.i18n import N_

# A mail's kind and state in words, for the history page.
MAIL_KIND_NAMES = {
    "ticket_confirmed": N_("Booking confirmation"),
    "ticket_promoted": N_("Seat from the waiting list"),
    "ticket_held": N_("Please confirm the address"),
    "ticket_waitlisted": N_("Waiting list"),
    "ticket_cancelled": N_("Cancellation"),
    "session_changed": N_("Session changed"),
    "session_cancelled": N_("Session cancelled"),
    "reminder": N_("Reminder"),
    "attendee_erased": N_("Data erased"),
    "manage_link": N_("Link to the registration"),
    "organiser_password_link": N_("Link to set a password"),
    "organiser_message": N_("Message from the team"),
}
MAIL_STATE_NAMES = {
    QUEUED: N_("waiting"),
    SENDING: N_("being sent"),
    RETRYING: N_("trying again"),
    SENT: N_("delivered"),
    FAILED: N_("failed"),
}


def find_event(session: Session, slug: str) -> Event:
    """Notify's copy of the event called `slug`; NotFound (404) if no release of it came."""
    event = session.scalar(select(Event).where(Event.slug == slug))
    if event is None:
        raise NotFound(
            N_("Unknown event %(slug)r (no programme published yet).", slug=slug),
            {"event": [UNKNOWN]},
        )
    return event


def mail_history(
    session: Session,
    event: str,
    *,
    attendee: int | None = None,
    state: str | None = None,
    q: str = "",
    page: int = 1,
    page_size: int = 50,
) -> dict[str, Any]:
    """One page of the event's mails, newest first, and how many match: of one attendee, in
    one state, to addresses containing `q` (any case; addresses are stored lower-cased)."""
    query = select(OutgoingMail).where(OutgoingMail.event_slug == event)
    if attendee is not None:
        query = query.where(OutgoingMail.attendee_id == attendee)
    if state is not None:
        query = query.where(OutgoingMail.state == state)
    search = q.strip().lower()
    if search:
        query = query.where(func.lower(OutgoingMail.recipient).contains(search, autoescape=True))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    mails = session.scalars(
        query.order_by(OutgoingMail.id.desc()).offset((page - 1) * page_size).limit(page_size)
    ).all()
    session_ids = {mail.session_id for mail in mails if mail.session_id is not None}
    sessions = (
        {
            s.id: s
            for s in session.scalars(
                select(ProgrammeSession).where(ProgrammeSession.id.in_(session_ids))
            )
        }
        if session_ids
        else {}
    )
    return {
        "items": [_item(mail, sessions.get(mail.session_id)) for mail in mails],
        "total": total,
        "page": page,
        "page_size": page_size,
    }


def _item(mail: OutgoingMail, programme_session: ProgrammeSession | None) -> dict[str, Any]:
    return {
        "id": mail.id,
        "kind": mail.kind,
        "queued_at": mail.created_at,
        "attendee": mail.attendee_id,
        "recipient": mail.recipient,
        "erased": mail.recipient is None,
        "session": (
            {
                "id": programme_session.id,
                "title": programme_session.title,
                "title_en": programme_session.title_en,
            }
            if programme_session is not None
            else None
        ),
        "state": mail.state,
        "attempts": mail.attempts,
        "sent_at": mail.sent_at,
        "smtp_reply": mail.smtp_reply,
        "last_error": mail.last_error,
    }


def undelivered_mail_counts(session: Session, event: str) -> dict[str, int]:
    """How many of the event's mails failed for good, and how many wait to be tried again
    (for the event's overview): {FAILED: n, RETRYING: n}."""
    counts = dict(
        session.execute(
            select(OutgoingMail.state, func.count())
            .where(OutgoingMail.event_slug == event, OutgoingMail.state.in_((FAILED, RETRYING)))
            .group_by(OutgoingMail.state)
        ).all()
    )
    return {FAILED: counts.get(FAILED, 0), RETRYING: counts.get(RETRYING, 0)}
