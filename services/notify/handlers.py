"""Message handlers of the notify service: plain functions from envelopes to domain functions,
and the table of which queue and routing key each one handles."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from services.notify.attendance import (
    apply_attendee_update,
    apply_ticket_message,
    erase_attendee,
    forget_attendee,
    send_manage_link,
)
from services.notify.feeds import FeedContext
from services.notify.mails import Mailer
from services.notify.organisers import send_password_link
from services.notify.programme import apply_release
from services.notify.settings import NotifySettings
from shared.config import Config
from shared.messages import Envelope


@dataclass(frozen=True)
class Dependencies:
    """What notify's handlers need besides the database session; built once per process."""

    mailer: Mailer
    feeds: FeedContext


def dependencies(config: Config, settings: NotifySettings | None = None) -> Dependencies:
    settings = settings or NotifySettings.from_env()
    return Dependencies(
        mailer=Mailer(config),
        feeds=FeedContext.of(config, settings),
    )


def on_release(session: Session, envelope: Envelope, deps: Dependencies) -> None:
    apply_release(
        session,
        envelope.data,
        mailer=deps.mailer,
        feed_context=deps.feeds,
        cause_message_id=envelope.id,
    )


def on_live_update(session: Session, envelope: Envelope, deps: Dependencies) -> None:
    """Live status (on air, delays) is not part of calendars or mails: a lasting change of
    time comes with the next release."""


def on_ticket(session: Session, envelope: Envelope, deps: Dependencies) -> None:
    apply_ticket_message(
        session,
        envelope.type.rsplit(".", 1)[1],
        envelope.data,
        envelope.occurred_at,
        mailer=deps.mailer,
        feed_context=deps.feeds,
        cause_message_id=envelope.id,
    )


def on_attendee_updated(session: Session, envelope: Envelope, deps: Dependencies) -> None:
    apply_attendee_update(session, envelope.data, envelope.occurred_at, feed_context=deps.feeds)


def on_link_requested(session: Session, envelope: Envelope, deps: Dependencies) -> None:
    send_manage_link(session, envelope.data, mailer=deps.mailer, cause_message_id=envelope.id)


def on_attendee_erased(session: Session, envelope: Envelope, deps: Dependencies) -> None:
    erase_attendee(session, envelope.data, mailer=deps.mailer, cause_message_id=envelope.id)


def on_event_purged(session: Session, envelope: Envelope, deps: Dependencies) -> None:
    for attendee_id in envelope.data["attendee_ids"]:
        forget_attendee(session, attendee_id)


def on_password_link(session: Session, envelope: Envelope, deps: Dependencies) -> None:
    send_password_link(session, envelope.data, mailer=deps.mailer, cause_message_id=envelope.id)


HANDLERS = {
    "notify.programme": {
        "schedule.release.published": on_release,
        "schedule.live.updated": on_live_update,
    },
    "notify.tickets": {
        "registration.ticket.confirmed": on_ticket,
        "registration.ticket.held": on_ticket,
        "registration.ticket.waitlisted": on_ticket,
        "registration.ticket.promoted": on_ticket,
        "registration.ticket.cancelled": on_ticket,
        "registration.ticket.checked_in": on_ticket,
        "registration.attendee.updated": on_attendee_updated,
        "registration.attendee.link_requested": on_link_requested,
        "registration.attendee.erased": on_attendee_erased,
        "registration.event.purged": on_event_purged,
    },
    "notify.accounts": {
        "schedule.organiser.password_link": on_password_link,
    },
}
