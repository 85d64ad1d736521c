"""Registering an attendee for one or several sessions."""

from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from services.registration.errors import DomainError, NotFound
from services.registration.models import Attendee, Event, ProgrammeSession, Ticket
from services.registration.models.ticket import CANCELLED, CONFIRMED, HELD, WAITLISTED
from services.registration.publishing import publish_ticket, waitlist_position
from services.registration.seats import (
    claim_seat,
    fill_after_commit,
    needs_confirmation,
    seat_status,
)
from services.registration.settings import Links, RegistrationSettings
from shared.db import utcnow

REGISTRABLE_MODE = "required"


@dataclass(frozen=True)
class TicketResult:
    ticket: Ticket
    # False when the attendee already had this ticket and got it back unchanged.
    created: bool
    waitlist_position: int | None


@dataclass(frozen=True)
class RegistrationResult:
    attendee: Attendee
    # True when this request created the attendee (only then may it see the manage link).
    attendee_created: bool
    tickets: list[TicketResult]


def new_secret_token() -> str:
    return secrets.token_urlsafe(24)


def new_ticket_code() -> str:
    return secrets.token_urlsafe(12)


def _insert_ignoring_duplicates(session: Session, model):
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(model).on_conflict_do_nothing()


def find_event(session: Session, slug: str) -> Event:
    event_ = session.scalar(select(Event).where(Event.slug == slug))
    if event_ is None:
        raise NotFound(
            f"Die Veranstaltung {slug!r} gibt es nicht. / There is no event {slug!r}.",
            {"event": ["unbekannt / unknown"]},
        )
    return event_


def _registrable_sessions(
    session: Session, event_slug: str, session_ids: list[int], now: datetime
) -> tuple[Event, list[ProgrammeSession]]:
    """The event and the chosen sessions (in id order), each checked to be open for booking."""
    found = {
        s.id: s
        for s in session.scalars(
            select(ProgrammeSession)
            .join(Event, ProgrammeSession.event_id == Event.id)
            .where(Event.slug == event_slug, ProgrammeSession.id.in_(session_ids))
        )
    }
    event_ = next(iter(found.values())).event if found else find_event(session, event_slug)
    problems: dict[str, list[str]] = {}
    for session_id in session_ids:
        programme_session = found.get(session_id)
        if programme_session is None:
            problem = "Diese Veranstaltung gibt es nicht. / This session does not exist."
        elif programme_session.is_cancelled:
            problem = "Diese Veranstaltung ist abgesagt. / This session is cancelled."
        elif programme_session.registration_mode == "none":
            problem = (
                "Für diese Veranstaltung ist keine Anmeldung nötig. / "
                "This session needs no registration."
            )
        elif programme_session.registration_mode != REGISTRABLE_MODE:
            problem = (
                "Die Anmeldung läuft nicht über uns, siehe Programm. / "
                "Registration for this session is taken elsewhere, see the programme."
            )
        elif programme_session.capacity is None:
            problem = (
                "Für diese Veranstaltung ist keine Platzzahl bekannt. / "
                "No seat capacity is known for this session."
            )
        elif programme_session.starts_at <= now:
            problem = "Diese Veranstaltung hat schon begonnen. / This session has already started."
        else:
            continue
        problems[str(session_id)] = [problem]
    if problems:
        raise DomainError(
            "Für einige Veranstaltungen ist keine Anmeldung möglich. / "
            "Some sessions cannot be registered for.",
            {"sessions": problems},
        )
    chosen = sorted(found.values(), key=lambda s: (s.starts_at, s.id))
    for earlier, later in itertools.pairwise(chosen):
        if later.starts_at < earlier.ends_at:
            message = f"Überschneidet sich zeitlich mit {earlier.id}. / Overlaps in time with {earlier.id}."
            raise DomainError(
                "Zwei gewählte Veranstaltungen überschneiden sich zeitlich. / "
                "Two chosen sessions overlap in time.",
                {"sessions": {str(later.id): [message]}},
            )
    return event_, sorted(found.values(), key=lambda s: s.id)


def _attendee(
    session: Session,
    event_: Event,
    *,
    name: str,
    email: str,
    locale: str,
    consent_version: str,
    now: datetime,
) -> tuple[Attendee, bool]:
    """The event's attendee with this (normalised) email, created if new; (attendee, created)."""
    inserted = session.scalars(
        _insert_ignoring_duplicates(session, Attendee)
        .values(
            event_id=event_.id,
            name=name,
            email=email,
            locale=locale,
            consent_at=now,
            consent_version=consent_version,
            manage_token=new_secret_token(),
            feed_token=new_secret_token(),
            created_at=now,
        )
        .returning(Attendee)
    ).first()
    if inserted is not None:
        return inserted, True
    # On a duplicate, PostgreSQL waits for the other transaction inserting the same email and
    # the select below (a new snapshot) sees its row.
    attendee = session.scalars(
        select(Attendee).where(Attendee.event_id == event_.id, Attendee.email == email)
    ).one()
    return attendee, False


def _seat_or_waitlist(
    session: Session, ticket: Ticket, settings: RegistrationSettings, now: datetime
) -> None:
    if claim_seat(session, ticket.session_id, ticket.id):
        status, hold_expires_at = seat_status(ticket, settings, now)
    else:
        status, hold_expires_at = WAITLISTED, None
    # Compared first so that the usual case, a new ticket that got its seat, needs no UPDATE.
    if (ticket.status, ticket.hold_expires_at) != (status, hold_expires_at):
        ticket.status, ticket.hold_expires_at = status, hold_expires_at


def _new_ticket(
    session: Session,
    attendee: Attendee,
    programme_session: ProgrammeSession,
    settings: RegistrationSettings,
    now: datetime,
) -> Ticket | None:
    """A new ticket, inserted as if it will get a seat; None if the attendee has one already."""
    held = needs_confirmation(attendee, attendee.event, settings)
    return session.scalars(
        _insert_ignoring_duplicates(session, Ticket)
        .values(
            attendee_id=attendee.id,
            session_id=programme_session.id,
            status=HELD if held else CONFIRMED,
            hold_expires_at=now + timedelta(minutes=settings.hold_minutes) if held else None,
            code=new_ticket_code(),
            requested_at=now,
        )
        .returning(Ticket)
    ).first()


def register(
    session: Session,
    event_slug: str,
    *,
    name: str,
    email: str,
    session_ids: list[int],
    locale: str,
    links: Links,
    settings: RegistrationSettings,
    now: datetime | None = None,
) -> RegistrationResult:
    """Register one attendee (email already normalised, consent already given) for sessions.

    A session the attendee already holds a ticket for gives that ticket back unchanged; a
    cancelled one is booked afresh, at the end of the waiting list if the session is full.
    """
    now = now or utcnow()
    session_ids = list(dict.fromkeys(session_ids))
    event_, programme_sessions = _registrable_sessions(session, event_slug, session_ids, now)
    attendee, attendee_created = _attendee(
        session,
        event_,
        name=name,
        email=email,
        locale=locale,
        consent_version=settings.consent_version,
        now=now,
    )
    results = []
    # Sessions in id order, so two requests of one attendee lock their tickets in one order.
    for programme_session in programme_sessions:
        ticket = _new_ticket(session, attendee, programme_session, settings, now)
        created = ticket is not None
        if ticket is None:
            ticket = session.scalars(
                select(Ticket)
                .where(Ticket.attendee_id == attendee.id, Ticket.session_id == programme_session.id)
                .with_for_update(of=Ticket)
            ).one()
        if created or ticket.status == CANCELLED:
            if not created:
                ticket.requested_at = now
                ticket.cancelled_at = ticket.cancel_reason = ticket.checked_in_at = None
            _seat_or_waitlist(session, ticket, settings, now)
            session.flush()
            position = waitlist_position(session, ticket)
            verb = {WAITLISTED: "waitlisted", HELD: "held"}.get(ticket.status, "confirmed")
            publish_ticket(session, verb, ticket, links, position=position)
            if ticket.status == WAITLISTED and not created:
                # A new ticket's foreign key share-locks the session row, which orders this
                # transaction against any cancellation (it locks that row for update): one
                # of the two sees the other. Re-booking an old ticket row takes no such lock,
                # so it checks again after its commit.
                fill_after_commit(session, programme_session.id, links, settings)
            results.append(TicketResult(ticket, True, position))
        else:
            results.append(TicketResult(ticket, False, waitlist_position(session, ticket)))
    return RegistrationResult(attendee, attendee_created, results)


def confirm_email(
    session: Session, attendee: Attendee, links: Links, now: datetime | None = None
) -> list[Ticket]:
    """The attendee opened the confirmation link: their held seats become confirmed."""
    now = now or utcnow()
    if attendee.email_confirmed_at is None:
        attendee.email_confirmed_at = now
    held = session.scalars(
        select(Ticket)
        .where(Ticket.attendee_id == attendee.id, Ticket.status == HELD)
        .with_for_update(of=Ticket)
    ).all()
    for ticket in held:
        ticket.status, ticket.hold_expires_at = CONFIRMED, None
        session.flush()
        publish_ticket(session, "confirmed", ticket, links)
    return list(held)
