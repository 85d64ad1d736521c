"""Housekeeping: expired holds, seats left free, and personal data of finished events.

`todo sweep-registrations` runs it in a loop (a worker of `todo up`/`make run`);
`todo purge-personal-data EVENT` anonymises one event's attendees at once.
"""

from __future__ import annotations

import logging
import signal
import threading
from datetime import datetime, timedelta

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.registration.booking import find_event
from services.registration.errors import DomainError
from services.registration.manage import anonymise, cancel_ticket
from services.registration.models import Attendee, Event, OutboxMessage, Seat, Ticket
from services.registration.models.ticket import HELD, WAITLISTED
from services.registration.seats import fill_free_seats
from services.registration.settings import Links, RegistrationSettings
from shared.config import Config
from shared.db import Database, utcnow
from shared.outbox import add_message

log = logging.getLogger(__name__)


def release_expired_holds(
    session: Session, links: Links, settings: RegistrationSettings, now: datetime | None = None
) -> int:
    """Cancel holds whose time ran out; their seats go to the waiting list."""
    now = now or utcnow()
    expired = session.scalars(
        select(Ticket)
        .where(Ticket.status == HELD, Ticket.hold_expires_at <= now)
        .order_by(Ticket.session_id, Ticket.id)
    ).all()
    released = 0
    for ticket in expired:
        # cancel_ticket re-reads the ticket under lock: a confirmation may have come first.
        session.refresh(ticket)
        if ticket.status == HELD and cancel_ticket(
            session, ticket, "hold_expired", links, settings
        ):
            released += 1
    return released


def fill_all_free_seats(session: Session, links: Links, settings: RegistrationSettings) -> int:
    """Safety net behind the after-commit check: promote wherever seats and waiters coexist."""
    waiting = select(Ticket.session_id).where(Ticket.status == WAITLISTED).distinct()
    free = select(Seat.session_id).where(Seat.ticket_id.is_(None)).distinct()
    session_ids = session.scalars(waiting.intersect(free)).all()
    return sum(fill_free_seats(session, sid, links, settings) for sid in sorted(session_ids))


def purge_personal_data(session: Session, event_slug: str, now: datetime | None = None) -> int:
    """Anonymise every attendee of a finished event; tickets and counts stay."""
    now = now or utcnow()
    event_ = find_event(session, event_slug)
    if event_.ends_on >= now.date():
        raise DomainError(
            "Die Veranstaltung ist noch nicht vorbei. / The event has not finished yet.",
            {"event": [f"endet am / ends on {event_.ends_on.isoformat()}"]},
        )
    attendees = session.scalars(
        select(Attendee).where(Attendee.event_id == event_.id, Attendee.erased_at.is_(None))
    ).all()
    for attendee in attendees:
        anonymise(attendee, now)
    event_.personal_data_purged_at = now
    add_message(
        session,
        OutboxMessage,
        "registration.event.purged",
        {"event": event_.slug, "attendee_ids": [attendee.id for attendee in attendees]},
        aggregate=f"event:{event_.slug}",
    )
    return len(attendees)


def purge_due_events(
    session: Session, settings: RegistrationSettings, now: datetime | None = None
) -> list[str]:
    now = now or utcnow()
    last_day = (now - timedelta(days=settings.purge_after_days)).date()
    due = session.scalars(
        select(Event).where(Event.ends_on < last_day, Event.personal_data_purged_at.is_(None))
    ).all()
    for event_ in due:
        count = purge_personal_data(session, event_.slug, now)
        log.info("anonymised %d attendees of %s", count, event_.slug)
    return [e.slug for e in due]


def sweep(db: Database, links: Links, settings: RegistrationSettings) -> None:
    """One round; each step in its own transaction so one failure does not block the others."""
    for step in (release_expired_holds, fill_all_free_seats):
        with db.transaction() as session:
            step(session, links, settings)
    with db.transaction() as session:
        purge_due_events(session, settings)


def run_sweeper(config: Config, settings: RegistrationSettings) -> None:
    db = Database(config.database_url("registration"), pool_size=2)
    links = Links.from_config(config)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    log.info("sweeping every %.0f s", settings.sweep_interval_seconds)
    while not stop.is_set():
        try:
            sweep(db, links, settings)
        except Exception:
            log.exception("sweep failed; trying again next round")
        stop.wait(settings.sweep_interval_seconds)
    db.dispose()


@click.command("sweep-registrations")
@click.pass_obj
def sweep_command(config: Config) -> None:
    """Release expired seat holds, fill free seats, purge old personal data; until stopped."""
    run_sweeper(config, RegistrationSettings.from_env())


@click.command("purge-personal-data")
@click.argument("event")
@click.pass_obj
def purge_command(config: Config, event: str) -> None:
    """Anonymise every attendee of a finished EVENT, keeping the numbers."""
    db = Database(config.database_url("registration"), pool_size=1)
    try:
        with db.transaction() as session:
            count = purge_personal_data(session, event)
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    finally:
        db.dispose()
    click.echo(f"{event}: {count} attendees anonymised")
