"""Organisers write to attendees (issue 13; pretix's "send out emails", Indico's "email
registrants"): to the ticket holders of the whole event or of one session, optionally also to
those on the waiting list, in German and, if given, English.

A message is stored when it is previewed (`preview_message`, a draft with an unguessable token)
and sent by naming that draft (`send_message`): the one transaction that marks it sent queues
one `OutgoingMail` per attendee (kind `organiser_message`, dedup key of the message and the
attendee), so a double click, a repeated request or a retried transaction sends nothing twice.
The delivery worker sends them like every mail (retries, rate limit). Erased attendees have no
copy here any more and get nothing; cancelled tickets get nothing.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from services.notify.mail_history import find_event
from services.notify.mails import Mailer, Recipient, render, session_details
from services.notify.models import (
    Attendee,
    AttendeeMessage,
    ErasedAttendee,
    Event,
    OutgoingMail,
    ProgrammeSession,
    Ticket,
)
from services.notify.models.mail import FAILED, QUEUED, RETRYING, SENDING, SENT
from services.notify.programme import attendee_context
from shared.db import utcnow
from shared.errors import UNKNOWN, Invalid
from shared.i18n import N_
from shared.messages.registration import TICKET_CONFIRMED, TICKET_HELD, TICKET_WAITLISTED

MESSAGE_MAIL = "organiser_message"
# Who holds a seat (checked in or not); the waiting list only when the organiser says so.
SEAT_STATUSES = (TICKET_CONFIRMED, TICKET_HELD)
# The name the preview greets.
SAMPLE_NAME = "Erika Mustermann"
SAMPLE_MANAGE_URL = "https://example.org/manage/sample"
LOCALES = ("de", "en")
_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")
UNKNOWN_DRAFT = N_("This message is not known (any more). Please write and preview it again.")


@dataclass(frozen=True)
class MessageRecipient:
    attendee: Attendee
    # The name given with the attendee's first ticket the message is about.
    name: str
    # The language of the mail: English only for English readers of a message with English.
    locale: str


def message_sessions(session: Session, event: Event) -> list[ProgrammeSession]:
    """The event's sessions a message can go to: those with tickets, in programme order."""
    with_tickets = select(Ticket.session_id).distinct()
    return list(
        session.scalars(
            select(ProgrammeSession)
            .where(ProgrammeSession.event_id == event.id, ProgrammeSession.id.in_(with_tickets))
            .order_by(ProgrammeSession.starts_at, ProgrammeSession.id)
        )
    )


def _session_of(session: Session, event: Event, session_id: int | None) -> ProgrammeSession | None:
    if session_id is None:
        return None
    found = session.get(ProgrammeSession, session_id)
    if found is None or found.event_id != event.id:
        raise Invalid({"session": [UNKNOWN]}, N_("This session is not in the programme."))
    return found


def recipients(
    session: Session,
    event: Event,
    *,
    session_id: int | None,
    include_waiting: bool,
    english: bool,
) -> list[MessageRecipient]:
    """Everyone the message goes to, once each: attendees of the event (or of the session)
    with a seat, or on the waiting list if `include_waiting`; never cancelled tickets, never
    erased attendees. `english`: whether the message has an English text."""
    statuses = SEAT_STATUSES + ((TICKET_WAITLISTED,) if include_waiting else ())
    query = (
        select(Ticket, Attendee)
        .join(Attendee, Ticket.attendee_id == Attendee.id)
        .join(ProgrammeSession, Ticket.session_id == ProgrammeSession.id)
        .where(
            ProgrammeSession.event_id == event.id,
            Attendee.event_slug == event.slug,
            Ticket.status.in_(statuses),
            Attendee.id.not_in(select(ErasedAttendee.attendee_id)),
        )
        .order_by(Attendee.id, Ticket.id)
    )
    if session_id is not None:
        query = query.where(Ticket.session_id == session_id)
    found: dict[int, MessageRecipient] = {}
    for ticket, attendee in session.execute(query).unique():
        if attendee.id not in found:
            locale = "en" if english and attendee.locale == "en" else "de"
            found[attendee.id] = MessageRecipient(attendee, ticket.name or attendee.name, locale)
    return list(found.values())


def recipient_counts(found: list[MessageRecipient]) -> dict[str, int]:
    counts = {locale: 0 for locale in LOCALES}
    for recipient in found:
        counts[recipient.locale] += 1
    return {**counts, "total": len(found)}


def _message_context(message: AttendeeMessage, locale: str) -> dict[str, str]:
    if locale == "en":
        return {"subject": message.subject_en, "text": message.text_en}
    return {"subject": message.subject_de, "text": message.text_de}


def _mail_context(
    mailer: Mailer,
    message: AttendeeMessage,
    event: Event,
    programme_session: ProgrammeSession | None,
    attendee: Attendee,
    name: str,
    locale: str,
) -> dict[str, Any]:
    return {
        **attendee_context(mailer, attendee, event, name),
        "message": _message_context(message, locale),
        "session": session_details(programme_session, locale) if programme_session else None,
    }


def create_draft(
    session: Session, event_slug: str, values: dict[str, Any], created_by: str
) -> AttendeeMessage:
    """Store the message as a draft (checked by `MessageRequestSchema`) for the preview."""
    event = find_event(session, event_slug)
    _session_of(session, event, values.get("session"))
    message = AttendeeMessage(
        event_slug=event.slug,
        token=secrets.token_urlsafe(24),
        session_id=values.get("session"),
        include_waiting=values.get("include_waiting", False),
        subject_de=values["subject_de"],
        text_de=values["text_de"],
        subject_en=values.get("subject_en") or "",
        text_en=values.get("text_en") or "",
        created_by=created_by,
        created_at=utcnow(),
    )
    session.add(message)
    session.flush()
    return message


def preview_message(
    session: Session, mailer: Mailer, event_slug: str, values: dict[str, Any], created_by: str
) -> dict[str, Any]:
    """A draft of the message, how many get it in which language, and the mail as each
    language group gets it (rendered with the real templates, for a sample name)."""
    message = create_draft(session, event_slug, values, created_by)
    event = find_event(session, message.event_slug)
    programme_session = _session_of(session, event, message.session_id)
    found = _recipients_of(session, event, message)
    counts = recipient_counts(found)
    # Links as in a real mail, with stand-ins for the attendee's secrets.
    sample = SimpleNamespace(
        event_slug=event.slug, manage_url=SAMPLE_MANAGE_URL, feed_token="sample"
    )
    previews = {}
    for locale in LOCALES:
        if locale == "en" and not message.text_en:
            continue
        context = _mail_context(
            mailer, message, event, programme_session, sample, SAMPLE_NAME, locale
        )
        subject, text, html = render(
            MESSAGE_MAIL, locale, context, can_reply=mailer.reply_to is not None
        )
        previews[locale] = {"subject": subject, "text": text, "html": html}
    return {"message": message, "recipients": counts, "previews": previews}


def _recipients_of(
    session: Session, event: Event, message: AttendeeMessage
) -> list[MessageRecipient]:
    return recipients(
        session,
        event,
        session_id=message.session_id,
        include_waiting=message.include_waiting,
        english=bool(message.text_en),
    )


def find_draft(session: Session, event_slug: str, token: str) -> AttendeeMessage:
    if not _TOKEN.fullmatch(token):
        raise Invalid({"draft": [UNKNOWN_DRAFT]}, UNKNOWN_DRAFT)
    message = session.scalar(
        select(AttendeeMessage).where(
            AttendeeMessage.event_slug == event_slug, AttendeeMessage.token == token
        )
    )
    if message is None:
        raise Invalid({"draft": [UNKNOWN_DRAFT]}, UNKNOWN_DRAFT)
    return message


def send_message(
    session: Session, mailer: Mailer, event_slug: str, token: str
) -> tuple[AttendeeMessage, bool]:
    """Send the draft `token` of the event: one mail per recipient. Only the first request
    for a draft sends (the update that marks it sent waits for a concurrent one's commit and
    then finds it sent); the others answer it as it is. (message, whether this sent it)."""
    event = find_event(session, event_slug)
    message = find_draft(session, event_slug, token)
    claimed = session.execute(
        update(AttendeeMessage)
        .where(AttendeeMessage.id == message.id, AttendeeMessage.sent_at.is_(None))
        .values(sent_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(message)
    if not claimed:
        return message, False
    programme_session = _session_of(session, event, message.session_id)
    found = _recipients_of(session, event, message)
    cause = f"message:{message.id}"
    keys = {r.attendee.id: mailer.dedup_key(cause, r.attendee.id, MESSAGE_MAIL) for r in found}
    queued = mailer.queued_keys(session, list(keys.values())) if keys else set()
    count = 0
    for recipient in found:
        if keys[recipient.attendee.id] in queued:
            continue
        attendee = recipient.attendee
        mail = mailer.queue(
            session,
            kind=MESSAGE_MAIL,
            cause=cause,
            recipient=Recipient(recipient.name, attendee.email, recipient.locale, attendee.id),
            event_slug=event.slug,
            context=_mail_context(
                mailer,
                message,
                event,
                programme_session,
                attendee,
                recipient.name,
                recipient.locale,
            ),
            programme_session=programme_session,
            known_new=True,
        )
        mail.attendee_message_id = message.id
        count += 1
    message.recipient_count = count
    session.flush()
    return message, True


def create_and_send(
    session: Session, mailer: Mailer, event_slug: str, values: dict[str, Any], created_by: str
) -> tuple[AttendeeMessage, bool]:
    """Write and send at once (the API without a preview)."""
    message = create_draft(session, event_slug, values, created_by)
    return send_message(session, mailer, event_slug, message.token)


def message_list(session: Session, event_slug: str) -> list[dict[str, Any]]:
    """The event's sent messages, newest first, with how many of their mails wait, were
    delivered and failed."""
    find_event(session, event_slug)
    messages = session.scalars(
        select(AttendeeMessage)
        .where(AttendeeMessage.event_slug == event_slug, AttendeeMessage.sent_at.is_not(None))
        .order_by(AttendeeMessage.sent_at.desc(), AttendeeMessage.id.desc())
    ).all()
    ids = [m.id for m in messages]
    counts: dict[int, dict[str, int]] = {}
    if ids:
        waiting = OutgoingMail.state.in_((QUEUED, SENDING, RETRYING))
        rows = session.execute(
            select(
                OutgoingMail.attendee_message_id,
                func.sum(case((waiting, 1), else_=0)),
                func.sum(case((OutgoingMail.state == SENT, 1), else_=0)),
                func.sum(case((OutgoingMail.state == FAILED, 1), else_=0)),
            )
            .where(OutgoingMail.attendee_message_id.in_(ids))
            .group_by(OutgoingMail.attendee_message_id)
        )
        for message_id, queued, delivered, failed in rows:
            counts[message_id] = {
                "queued": int(queued or 0),
                "delivered": int(delivered or 0),
                "failed": int(failed or 0),
            }
    session_ids = {m.session_id for m in messages if m.session_id is not None}
    titles = (
        dict(
            session.execute(
                select(ProgrammeSession.id, ProgrammeSession.title).where(
                    ProgrammeSession.id.in_(session_ids)
                )
            ).all()
        )
        if session_ids
        else {}
    )
    return [
        {
            **message_values(message),
            "session_title": titles.get(message.session_id),
            "mails": counts.get(message.id, {"queued": 0, "delivered": 0, "failed": 0}),
        }
        for message in messages
    ]


def message_values(message: AttendeeMessage) -> dict[str, Any]:
    return {
        "id": message.id,
        "session": message.session_id,
        "include_waiting": message.include_waiting,
        "subject_de": message.subject_de,
        "subject_en": message.subject_en,
        "created_by": message.created_by,
        "created_at": message.created_at,
        "sent_at": message.sent_at,
        "recipient_count": message.recipient_count,
    }
