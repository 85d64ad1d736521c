"""Registering an attendee for one or several sessions."""

from __future__ import annotations

import itertools
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Connection, Row, bindparam, select, update
from sqlalchemy.orm import Session

from services.registration import codes
from services.registration.models import Attendee, Event, ProgrammeSession, Ticket
from services.registration.models.ticket import CANCELLED, CONFIRMED, HELD, WAITLISTED
from services.registration.publishing import (
    publish_link_requested,
    publish_ticket,
    publish_ticket_of,
)
from services.registration.seats import claim_seat, fill_after_commit, needs_confirmation
from services.registration.settings import Links, RegistrationSettings
from shared.db import insert_ignoring_duplicates, utcnow
from shared.errors import Conflict, DomainError, NoSuchEvent
from shared.i18n import N_
from shared.messages.schedule import SESSION_CANCELLED

REGISTRABLE_MODE = "required"


@dataclass(frozen=True)
class BookedTicket:
    """A ticket as the registration left it, read from the rows it wrote (no ORM objects)."""

    id: int
    session_id: int
    status: str
    name: str
    code: str
    hold_expires_at: datetime | None
    requested_at: datetime
    db: Session = field(repr=False, compare=False)

    @classmethod
    def of(cls, row: Row, db: Session) -> BookedTicket:
        return cls(**row._asdict(), db=db)

    @property
    def session(self) -> ProgrammeSession:
        """The programme session, loaded on demand (pages show it; the API does not)."""
        return self.db.get(ProgrammeSession, self.session_id)


@dataclass(frozen=True)
class TicketResult:
    ticket: BookedTicket
    # False when the attendee already had this ticket and got it back unchanged.
    created: bool


@dataclass(frozen=True)
class RegistrationResult:
    # The attendee's row: id, name, email, locale, manage_token, feed_token, email_confirmed_at.
    # Whoever registers may not be the owner of the address: nothing of this row but the
    # address goes back to them (the manage link and feed come by mail only).
    attendee: Row
    # True when this request created the attendee.
    attendee_created: bool
    tickets: list[TicketResult]


def new_secret_token() -> str:
    return secrets.token_urlsafe(24)


def new_ticket_code() -> str:
    return codes.new_code()


def find_event(session: Session, slug: str) -> Event:
    event_ = session.scalar(select(Event).where(Event.slug == slug))
    if event_ is None:
        raise NoSuchEvent(slug)
    return event_


# The hot path of a rush runs these statements, built once, through the Core (no ORM objects):
# a registration only binds its values.
attendees = Attendee.__table__
tickets = Ticket.__table__
programme_sessions = ProgrammeSession.__table__
events = Event.__table__

_CHOSEN_SESSIONS = (
    select(
        programme_sessions.c.id,
        programme_sessions.c.status,
        programme_sessions.c.registration_mode,
        programme_sessions.c.capacity,
        programme_sessions.c.starts_at,
        programme_sessions.c.ends_at,
        events.c.id.label("event_id"),
        events.c.slug.label("event_slug"),
        # Named like the event column, for `needs_confirmation`.
        events.c.confirm_email,
    )
    .join_from(programme_sessions, events, programme_sessions.c.event_id == events.c.id)
    .where(
        events.c.slug == bindparam("slug"),
        programme_sessions.c.id.in_(bindparam("session_ids", expanding=True)),
    )
)
_ATTENDEE_COLUMNS = (
    attendees.c.id,
    attendees.c.name,
    attendees.c.email,
    attendees.c.locale,
    attendees.c.manage_token,
    attendees.c.feed_token,
    attendees.c.email_confirmed_at,
)
_TICKET_COLUMNS = (
    tickets.c.id,
    tickets.c.session_id,
    tickets.c.status,
    tickets.c.name,
    tickets.c.code,
    tickets.c.hold_expires_at,
    tickets.c.requested_at,
)
_INSERTS_IGNORING_DUPLICATES = {
    dialect: {
        "attendee": insert_ignoring_duplicates(attendees, dialect).returning(*_ATTENDEE_COLUMNS),
        "ticket": insert_ignoring_duplicates(tickets, dialect).returning(*_TICKET_COLUMNS),
    }
    for dialect in ("postgresql", "sqlite")
}
_ATTENDEE_BY_EMAIL = select(*_ATTENDEE_COLUMNS).where(
    attendees.c.event_id == bindparam("event_id"), attendees.c.email == bindparam("email")
)
_TICKET_OF_ATTENDEE = (
    select(*_TICKET_COLUMNS)
    .where(
        tickets.c.attendee_id == bindparam("attendee_id"),
        tickets.c.session_id == bindparam("session_id"),
    )
    .with_for_update()
)
_SET_STATUS = (
    update(tickets)
    .where(tickets.c.id == bindparam("ticket_id"))
    .values(status=bindparam("new_status"), hold_expires_at=bindparam("new_hold_expires_at"))
    .returning(*_TICKET_COLUMNS)
)
_REQUEST_AGAIN = (
    update(tickets)
    .where(tickets.c.id == bindparam("ticket_id"))
    .values(
        name=bindparam("name"),
        requested_at=bindparam("now"),
        cancelled_at=None,
        cancel_reason=None,
        checked_in_at=None,
    )
    .returning(*_TICKET_COLUMNS)
)


def _registrable_sessions(
    session: Session,
    event_slug: str,
    session_ids: list[int],
    now: datetime,
    at_the_door: bool = False,
) -> list[Row]:
    """The chosen sessions (in id order, with their event), each checked to be open for booking:
    until its start, or `at_the_door` until its end."""
    found = {
        row.id: row
        for row in session.connection().execute(
            _CHOSEN_SESSIONS, {"slug": event_slug, "session_ids": session_ids}
        )
    }
    if not found:
        find_event(session, event_slug)
    problems: dict[str, list[str]] = {}
    for session_id in session_ids:
        programme_session = found.get(session_id)
        if programme_session is None:
            problem = N_("This session does not exist.")
        elif programme_session.status == SESSION_CANCELLED:
            problem = N_("This session is cancelled.")
        elif programme_session.registration_mode == "none":
            problem = N_("This session needs no registration.")
        elif programme_session.registration_mode != REGISTRABLE_MODE:
            problem = N_("Registration for this session is taken elsewhere, see the programme.")
        elif programme_session.capacity is None:
            problem = N_("No seat capacity is known for this session.")
        elif at_the_door and programme_session.ends_at <= now:
            problem = N_("This session is over.")
        elif not at_the_door and programme_session.starts_at <= now:
            problem = N_("This session has already started.")
        else:
            continue
        problems[str(session_id)] = [problem]
    if problems:
        raise DomainError(N_("Some sessions cannot be registered for."), {"sessions": problems})
    chosen = sorted(found.values(), key=lambda s: (s.starts_at, s.id))
    for earlier, later in itertools.pairwise(chosen):
        if later.starts_at < earlier.ends_at:
            message = N_("Overlaps in time with %(session)s.", session=earlier.id)
            raise DomainError(
                N_("Two chosen sessions overlap in time."),
                {"sessions": {str(later.id): [message]}},
            )
    return sorted(found.values(), key=lambda s: s.id)


def _attendee(
    connection: Connection,
    event_id: int,
    *,
    name: str,
    email: str,
    locale: str,
    consent_version: str,
    now: datetime,
) -> tuple[Row, bool]:
    """The event's attendee with this (normalised) email, created if new; (attendee, created)."""
    inserted = connection.execute(
        _INSERTS_IGNORING_DUPLICATES[connection.dialect.name]["attendee"],
        {
            "event_id": event_id,
            "name": name,
            "email": email,
            "locale": locale,
            "consent_at": now,
            "consent_version": consent_version,
            "manage_token": new_secret_token(),
            "feed_token": new_secret_token(),
            "created_at": now,
        },
    ).first()
    if inserted is not None:
        return inserted, True
    # On a duplicate, PostgreSQL waits for the other transaction inserting the same email and
    # the select below (a new snapshot) sees its row.
    return connection.execute(
        _ATTENDEE_BY_EMAIL, {"event_id": event_id, "email": email}
    ).one(), False


def _book(
    session: Session,
    ticket: Row,
    attendee: Row,
    programme_session: Row,
    settings: RegistrationSettings,
    now: datetime,
    at_the_door: bool = False,
) -> Row:
    """Seat the ticket (inserted or reset as if it will get a seat) or put it on the waiting list;
    `at_the_door` confirmed at once, and Conflict (409) rather than the waiting list."""
    if claim_seat(session, programme_session.id, ticket.id):
        if not at_the_door and needs_confirmation(attendee, programme_session, settings):
            status, hold_expires_at = HELD, now + timedelta(minutes=settings.hold_minutes)
        else:
            status, hold_expires_at = CONFIRMED, None
    elif at_the_door:
        raise Conflict(
            N_("The session is full: no seat is free."),
            {"sessions": {str(programme_session.id): [N_("No seat is free.")]}},
        )
    else:
        status, hold_expires_at = WAITLISTED, None
    # Compared first so that the usual case, a new ticket that got its seat, needs no UPDATE.
    if (ticket.status, ticket.hold_expires_at) == (status, hold_expires_at):
        return ticket
    return (
        session.connection()
        .execute(
            _SET_STATUS,
            {"ticket_id": ticket.id, "new_status": status, "new_hold_expires_at": hold_expires_at},
        )
        .one()
    )


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
    at_the_door: bool = False,
) -> RegistrationResult:
    """Register one attendee (email already normalised, consent already given) for sessions.

    A session the attendee already holds a ticket for gives that ticket back unchanged; a
    cancelled one is booked afresh, at the end of the waiting list if the session is full.
    Each new ticket keeps `name`. If nothing was booked afresh, the address gets its manage
    link again by mail: the link only ever goes to the mailbox, never to whoever registered.

    `at_the_door`: an organiser registers someone standing at the door (a walk-in,
    `attendee_admin.walk_in`): open until the session ends, seated and confirmed at once (the
    organiser sees the person), never put on the waiting list (Conflict if no seat is free;
    the caller's transaction is rolled back, so nothing is stored).
    """
    now = now or utcnow()
    session_ids = list(dict.fromkeys(session_ids))
    programme_sessions = _registrable_sessions(session, event_slug, session_ids, now, at_the_door)
    connection = session.connection()
    event_id = programme_sessions[0].event_id
    attendee, attendee_created = _attendee(
        connection,
        event_id,
        name=name,
        email=email,
        locale=locale,
        consent_version=settings.consent_version,
        now=now,
    )
    insert_ticket = _INSERTS_IGNORING_DUPLICATES[connection.dialect.name]["ticket"]
    results = []
    # What was booked afresh: (verb, ticket, held); published after the loop, when their
    # number is known, as one booking (notify mails it once).
    booked: list[tuple[str, Row, bool]] = []
    # Sessions in id order, so two requests of one attendee lock their tickets in one order.
    for programme_session in programme_sessions:
        held = not at_the_door and needs_confirmation(attendee, programme_session, settings)
        # Inserted as if it will get a seat.
        ticket = connection.execute(
            insert_ticket,
            {
                "attendee_id": attendee.id,
                "session_id": programme_session.id,
                "status": HELD if held else CONFIRMED,
                "name": name,
                "hold_expires_at": now + timedelta(minutes=settings.hold_minutes) if held else None,
                "code": new_ticket_code(),
                "requested_at": now,
            },
        ).first()
        created = ticket is not None
        if not created:
            ticket = connection.execute(
                _TICKET_OF_ATTENDEE,
                {"attendee_id": attendee.id, "session_id": programme_session.id},
            ).one()
            if ticket.status != CANCELLED:
                results.append(TicketResult(BookedTicket.of(ticket, session), False))
                continue
            ticket = connection.execute(
                _REQUEST_AGAIN, {"ticket_id": ticket.id, "name": name, "now": now}
            ).one()
        ticket = _book(session, ticket, attendee, programme_session, settings, now, at_the_door)
        verb = {WAITLISTED: "waitlisted", HELD: "held"}.get(ticket.status, "confirmed")
        booked.append((verb, ticket, held))
        if ticket.status == WAITLISTED and not created:
            # A new ticket's foreign key share-locks the session row, which orders this
            # transaction against any cancellation (it locks that row for update): one
            # of the two sees the other. Re-booking an old ticket row takes no such lock,
            # so it checks again after its commit.
            fill_after_commit(session, programme_session.id, links, settings)
        results.append(TicketResult(BookedTicket.of(ticket, session), True))
    event_slug = programme_sessions[0].event_slug
    booking_id = uuid.uuid4().hex
    for index, (verb, ticket, held) in enumerate(booked):
        publish_ticket_of(
            session,
            verb,
            event_slug,
            attendee,
            ticket,
            links,
            position=None,
            confirmation_needed=held,
            booking={
                "id": booking_id,
                "size": len(booked),
                "index": index,
                "tickets": [t.id for _, t, _ in booked],
            },
        )
    if not at_the_door and not any(result.created for result in results):
        publish_link_requested(session, event_slug, attendee, links)
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
