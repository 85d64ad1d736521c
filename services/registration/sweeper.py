"""Housekeeping: expired holds, seats of no-shows, seats left free, and personal data: outbox
rows about erased attendees, expired `Idempotency-Key` answers, attendees of finished events.

`todo sweep-registrations` runs it in a loop (a worker of `todo up`/`make run`);
`todo purge-personal-data EVENT` anonymises one event's attendees at once.
"""

from __future__ import annotations

import logging
import signal
import threading
from datetime import datetime, timedelta

import click
from sqlalchemy import String, cast, delete, literal, select
from sqlalchemy.orm import Session

from services.registration.booking import find_event
from services.registration.idempotency import expire_responses
from services.registration.manage import anonymise, cancel_ticket
from services.registration.models import (
    Attendee,
    Event,
    OutboxMessage,
    ProgrammeSession,
    Seat,
    Ticket,
)
from services.registration.models.ticket import HELD, SEATED, WAITLISTED
from services.registration.seats import fill_free_seats, lock_session
from services.registration.settings import Links, RegistrationSettings
from shared.config import Config
from shared.db import DATABASE_UNAVAILABLE, Database, utcnow
from shared.errors import DomainError
from shared.i18n import N_
from shared.messages.schedule import SESSION_CANCELLED
from shared.outbox import add_message

log = logging.getLogger(__name__)


def release_expired_holds(
    session: Session, links: Links, settings: RegistrationSettings, now: datetime | None = None
) -> int:
    """Cancel holds whose time ran out; their seats go to the waiting list (before the start)."""
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


def release_no_shows_after_minutes(event_: Event, settings: RegistrationSettings) -> int | None:
    """The event's choice, else the service default; None: seats of no-shows stay theirs."""
    if event_.release_no_shows_after_minutes is not None:
        return event_.release_no_shows_after_minutes
    return settings.release_no_shows_after_minutes


def release_no_shows(session: Session, links: Links, settings: RegistrationSettings) -> int:
    """Cancel the seated tickets not checked in N minutes after their session started (N per
    event), until it ends; the seats stay free for people at the door, since a session that has
    started promotes nobody from its waiting list (`seats.promotes_waiting_list`)."""
    now = utcnow()
    has_no_shows = (
        select(Ticket.id)
        .where(
            Ticket.session_id == ProgrammeSession.id,
            Ticket.status.in_(SEATED),
            Ticket.checked_in_at.is_(None),
        )
        .exists()
    )
    released = 0
    for event_ in session.scalars(select(Event).order_by(Event.id)).all():
        minutes = release_no_shows_after_minutes(event_, settings)
        if minutes is None:
            continue
        session_ids = session.scalars(
            select(ProgrammeSession.id)
            .where(
                ProgrammeSession.event_id == event_.id,
                ProgrammeSession.status != SESSION_CANCELLED,
                ProgrammeSession.starts_at <= now - timedelta(minutes=minutes),
                ProgrammeSession.ends_at > now,
                has_no_shows,
            )
            .order_by(ProgrammeSession.id)
        ).all()
        for session_id in session_ids:
            released += _release_no_shows_of_session(session, session_id, minutes, links, settings)
    return released


def _release_no_shows_of_session(
    session: Session, session_id: int, minutes: int, links: Links, settings: RegistrationSettings
) -> int:
    lock_session(session, session_id)
    # Locked, so a check-in at the door right now either comes first (and the ticket is not
    # selected) or finds the ticket cancelled.
    tickets = session.scalars(
        select(Ticket)
        .where(
            Ticket.session_id == session_id,
            Ticket.status.in_(SEATED),
            Ticket.checked_in_at.is_(None),
        )
        .order_by(Ticket.id)
        .with_for_update(of=Ticket)
    ).all()
    return sum(
        cancel_ticket(session, ticket, "no_show", links, settings, released_after_minutes=minutes)
        for ticket in tickets
    )


def fill_all_free_seats(session: Session, links: Links, settings: RegistrationSettings) -> int:
    """Safety net behind the after-commit check: promote wherever seats and waiters coexist in
    a session that has not started."""
    waiting = select(Ticket.session_id).where(Ticket.status == WAITLISTED).distinct()
    free = select(Seat.session_id).where(Seat.ticket_id.is_(None)).distinct()
    not_started = select(ProgrammeSession.id).where(ProgrammeSession.starts_at > utcnow())
    session_ids = session.scalars(waiting.intersect(free, not_started)).all()
    return sum(fill_free_seats(session, sid, links, settings) for sid in sorted(session_ids))


def forget_erased_messages(session: Session, erased_since: datetime) -> int:
    """Delete the published outbox rows about attendees erased since `erased_since` (names,
    addresses, links and codes); rows still waiting for the relay are left to it, and go once
    published. Every message about an attendee has their aggregate (`publishing.aggregate_of`).

    Looking back as far as the outbox retention covers every row: one published later than
    that after the erasure is deleted by the relay like any other, that long after publishing;
    and the attendees erased long ago (every attendee of a purged event) are not joined again
    and again."""
    erased_aggregates = select(literal("attendee:", String) + cast(Attendee.id, String)).where(
        Attendee.erased_at >= erased_since
    )
    return session.execute(
        delete(OutboxMessage)
        .where(
            OutboxMessage.published_at.is_not(None),
            OutboxMessage.aggregate.in_(erased_aggregates),
        )
        .execution_options(synchronize_session=False)
    ).rowcount


def expire_idempotent_responses(
    session: Session, links: Links, settings: RegistrationSettings
) -> int:
    retention = timedelta(hours=settings.idempotency_retention_hours)
    return expire_responses(session, utcnow() - retention)


def purge_personal_data(session: Session, event_slug: str, now: datetime | None = None) -> int:
    """Anonymise every attendee of a finished event; tickets and counts stay."""
    now = now or utcnow()
    event_ = find_event(session, event_slug)
    if event_.ends_on >= now.date():
        raise DomainError(
            N_("The event has not finished yet."),
            {"event": [N_("ends on %(date)s", date=event_.ends_on.isoformat())]},
        )
    attendees = session.scalars(
        select(Attendee).where(Attendee.event_id == event_.id, Attendee.erased_at.is_(None))
    ).all()
    for attendee in attendees:
        anonymise(attendee, now)
    forget_erased_messages(session, now)
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


def sweep(
    db: Database,
    links: Links,
    settings: RegistrationSettings,
    outbox_retention: timedelta = timedelta(days=Config.outbox_retention_days),
) -> None:
    """One round; each step in its own transaction so one failure does not block the others."""
    for step in (
        release_expired_holds,
        release_no_shows,
        fill_all_free_seats,
        expire_idempotent_responses,
    ):
        with db.transaction() as session:
            step(session, links, settings)
    with db.transaction() as session:
        forget_erased_messages(session, utcnow() - outbox_retention)
    with db.transaction() as session:
        purge_due_events(session, settings)


def run_sweeper(config: Config, settings: RegistrationSettings) -> None:
    db = Database(config.database_url("registration"), pool_size=2)
    links = Links.from_config(config)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    log.info("sweeping every %.0f s", settings.sweep_interval_seconds)
    outbox_retention = timedelta(days=config.outbox_retention_days)
    while not stop.is_set():
        try:
            sweep(db, links, settings, outbox_retention)
        except DATABASE_UNAVAILABLE as exc:
            log.warning("database unavailable (%s); trying again next round", exc)
        except Exception:
            log.exception("sweep failed; trying again next round")
        stop.wait(settings.sweep_interval_seconds)
    db.dispose()


@click.command("sweep-registrations")
@click.pass_obj
def sweep_command(config: Config) -> None:
    """Release expired seat holds and seats of no-shows, fill free seats, delete personal data
    past its time; until stopped."""
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
