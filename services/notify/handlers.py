"""Message handlers of the notify service: thin adapters from envelopes to domain functions."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import Session

from services.notify.attendance import (
    apply_attendee_update,
    apply_ticket_message,
    erase_attendee,
    forget_attendee,
    send_manage_link,
)
from services.notify.calendars import calendar_host
from services.notify.feeds import FeedContext
from services.notify.mails import Mailer
from services.notify.programme import apply_release
from services.notify.settings import NotifySettings
from shared.config import Config
from shared.consumer import Handler
from shared.messages import Envelope
from shared.topology import QueueSpec, queue


def feed_context(config: Config, settings: NotifySettings) -> FeedContext:
    return FeedContext(host=calendar_host(config.public_base_url), refresh=settings.feed_refresh)


def build_handlers(
    config: Config, settings: NotifySettings | None = None
) -> Mapping[QueueSpec, Mapping[str, Handler]]:
    settings = settings or NotifySettings.from_env()
    mailer = Mailer(config)
    feeds = feed_context(config, settings)

    def on_release(session: Session, envelope: Envelope) -> None:
        apply_release(
            session, envelope.data, mailer=mailer, feed_context=feeds, cause_message_id=envelope.id
        )

    def on_live_update(session: Session, envelope: Envelope) -> None:
        """Live status (on air, delays) is not part of calendars or mails: a lasting change of
        time comes with the next release."""

    def on_ticket(session: Session, envelope: Envelope) -> None:
        apply_ticket_message(
            session,
            envelope.type.rsplit(".", 1)[1],
            envelope.data,
            envelope.occurred_at,
            mailer=mailer,
            feed_context=feeds,
            cause_message_id=envelope.id,
        )

    def on_attendee_updated(session: Session, envelope: Envelope) -> None:
        apply_attendee_update(session, envelope.data, envelope.occurred_at, feed_context=feeds)

    def on_link_requested(session: Session, envelope: Envelope) -> None:
        send_manage_link(session, envelope.data, mailer=mailer, cause_message_id=envelope.id)

    def on_attendee_erased(session: Session, envelope: Envelope) -> None:
        erase_attendee(session, envelope.data, mailer=mailer, cause_message_id=envelope.id)

    def on_event_purged(session: Session, envelope: Envelope) -> None:
        for attendee_id in envelope.data["attendee_ids"]:
            forget_attendee(session, attendee_id)

    tickets = queue("notify.tickets")
    return {
        queue("notify.programme"): {
            "schedule.release.published": on_release,
            "schedule.live.updated": on_live_update,
        },
        tickets: {
            **{key: on_ticket for key in tickets.routing_keys if ".ticket." in key},
            "registration.attendee.updated": on_attendee_updated,
            "registration.attendee.link_requested": on_link_requested,
            "registration.attendee.erased": on_attendee_erased,
            "registration.event.purged": on_event_purged,
        },
    }
