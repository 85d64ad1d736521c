"""Seats: one row per seat, claimed by the database inside the caller's transaction.

Invariants (proved by tests/registration/test_seats.py on PostgreSQL and SQLite):
- a ticket is seated (confirmed or held) exactly when a seat row points at it, and a seat row
  points at one ticket at most (unique `ticket_id`), so seated tickets never outnumber seats;
- seat rows are only added or removed under the session row's lock, and never below the number
  of seated tickets, so a lowered capacity unseats nobody;
- until a session starts, nobody is left waiting while a seat is free: a registration that
  finds no free seat at once waits for seats locked by unfinished claims (one may roll back)
  before it joins the waiting list; a new ticket's foreign key share-locks its session row, so a
  registration and a cancellation (which locks that row for update) are ordered and the later
  one sees the earlier; a re-booked old ticket and every freed seat check again after commit
  (`fill_after_commit`), and the sweeper fills whatever might still be left;
- from its start on, a session promotes nobody: a seat freed then (a cancellation, an expired
  hold, a no-show released by the sweeper) stays free for people at the door, rather than going
  to someone waiting online who would hear of it while the session runs.

Registrations never lock the session row exclusively, so concurrent registrations only meet on
different seat rows (`FOR UPDATE SKIP LOCKED`) and their commits can be flushed to disk together.
Everything that moves seats between people (cancel, promote, capacity change, expired hold)
locks the session row first, so those serialise among themselves. SQLite ignores the row locks:
its `BEGIN IMMEDIATE` serialises all writers anyway.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, event, exists, func, insert, select, update
from sqlalchemy.orm import Session

from services.registration.models import Attendee, Event, ProgrammeSession, Seat, Ticket
from services.registration.models.ticket import CONFIRMED, HELD, WAITLISTED
from services.registration.publishing import publish_ticket
from services.registration.settings import Links, RegistrationSettings
from shared.db import utcnow

log = logging.getLogger(__name__)
seats = Seat.__table__


def lock_session(session: Session, session_id: int) -> ProgrammeSession:
    """Lock the session row: the one place where seat moves between people serialise."""
    programme_session = session.scalars(
        select(ProgrammeSession)
        .where(ProgrammeSession.id == session_id)
        .with_for_update(of=ProgrammeSession)
        .execution_options(populate_existing=True)
    ).one()
    return programme_session


def _claim(free_seat):
    return (
        update(seats)
        .where(seats.c.id == free_seat.scalar_subquery())
        .values(ticket_id=bindparam("claiming_ticket"))
        .returning(seats.c.id)
    )


_FREE_SEAT = (
    select(seats.c.id)
    .where(seats.c.session_id == bindparam("of_session"), seats.c.ticket_id.is_(None))
    .order_by(seats.c.number)
    .limit(1)
)
# First a free seat nobody is claiming; failing that, wait for the seats that other transactions
# are claiming: one whose claim rolls back is free after all. Built once: a registration only
# binds its values.
_CLAIMS = (
    _claim(_FREE_SEAT.with_for_update(skip_locked=True)),
    _claim(_FREE_SEAT.with_for_update()),
)


def claim_seat(session: Session, session_id: int, ticket_id: int) -> bool:
    """Give `ticket_id` a free seat of the session if there is one; True if it got one."""
    params = {"of_session": session_id, "claiming_ticket": ticket_id}
    return any(session.execute(claim, params).first() is not None for claim in _CLAIMS)


def seat_counts(session: Session, session_id: int) -> tuple[int, int]:
    """(seat rows, seated tickets) of a session, as committed or as this transaction sees it."""
    total, taken = session.execute(
        select(func.count(), func.count(seats.c.ticket_id)).where(seats.c.session_id == session_id)
    ).one()
    return total, taken


def needs_confirmation(attendee: Attendee, event_: Event, settings: RegistrationSettings) -> bool:
    required = settings.confirm_email if event_.confirm_email is None else event_.confirm_email
    return required and attendee.email_confirmed_at is None


def seat_status(
    ticket: Ticket, settings: RegistrationSettings, now: datetime
) -> tuple[str, datetime | None]:
    """The status (and hold expiry) of a ticket that just got a seat."""
    if needs_confirmation(ticket.attendee, ticket.attendee.event, settings):
        return HELD, now + timedelta(minutes=settings.hold_minutes)
    return CONFIRMED, None


def promotes_waiting_list(programme_session: ProgrammeSession, now: datetime) -> bool:
    """Whether free seats of the session go to its waiting list: only before it starts (and
    not when it is cancelled); later they are for people at the door."""
    return not programme_session.is_cancelled and programme_session.starts_at > now


def _first_waiting(session: Session, session_id: int) -> Ticket | None:
    return session.scalars(
        select(Ticket)
        .where(Ticket.session_id == session_id, Ticket.status == WAITLISTED)
        .order_by(Ticket.requested_at, Ticket.id)
        .limit(1)
        .with_for_update(of=Ticket)
    ).first()


def promote(session: Session, ticket: Ticket, links: Links, settings: RegistrationSettings) -> None:
    """The waiting `ticket`, which now holds a seat row, gets its seat (confirmed, or held for
    the email confirmation) and `registration.ticket.promoted` is published."""
    now = utcnow()
    ticket.status, ticket.hold_expires_at = seat_status(ticket, settings, now)
    session.flush()
    publish_ticket(session, "promoted", ticket, links)


def fill_free_seats(
    session: Session, session_id: int, links: Links, settings: RegistrationSettings
) -> int:
    """Give free seats to the people waiting, first come first served, until the session
    starts; returns how many."""
    programme_session = lock_session(session, session_id)
    if not promotes_waiting_list(programme_session, utcnow()):
        return 0
    promoted = 0
    while (waiting := _first_waiting(session, session_id)) is not None:
        if not claim_seat(session, session_id, waiting.id):
            break
        promote(session, waiting, links, settings)
        promoted += 1
    return promoted


def release_seat(
    session: Session, ticket: Ticket, links: Links, settings: RegistrationSettings
) -> None:
    """The seated `ticket` gives up its seat: before the start to the first person waiting,
    otherwise back to the pool (after the start, for people at the door).

    The caller holds the session lock (`lock_session`) and has already changed the ticket's
    status. Above a lowered capacity the seat row goes away instead.
    """
    programme_session = ticket.session
    total, _taken = seat_counts(session, ticket.session_id)
    if programme_session.capacity is not None and total > programme_session.capacity:
        session.execute(delete(seats).where(seats.c.ticket_id == ticket.id))
        return
    promoting = promotes_waiting_list(programme_session, utcnow())
    waiting = _first_waiting(session, ticket.session_id) if promoting else None
    session.execute(
        update(seats)
        .where(seats.c.ticket_id == ticket.id)
        .values(ticket_id=waiting.id if waiting is not None else None)
    )
    if waiting is not None:
        promote(session, waiting, links, settings)
    elif promoting:
        fill_after_commit(session, ticket.session_id, links, settings)


def free_seat_exists(session: Session, session_id: int) -> bool:
    return bool(
        session.scalar(
            select(exists().where(seats.c.session_id == session_id, seats.c.ticket_id.is_(None)))
        )
    )


def fill_after_commit(
    session: Session, session_id: int, links: Links, settings: RegistrationSettings
) -> None:
    """After this transaction commits, promote waiters if a free seat and a waiter coexist.

    A registration that joins the waiting list and a cancellation that frees a seat can each
    commit without seeing the other. Both check again after their commit, in a fresh
    snapshot; the one that commits second sees the other's work and promotes. The check runs
    once the session has given its connection back, so it never needs two at a time.
    """
    session.info.setdefault(_PENDING, set()).add(session_id)
    if session.info.get(_LISTENING):
        return
    session.info[_LISTENING] = True
    bind = session.get_bind()

    def committed(_session: Session) -> None:
        session.info[_COMMITTED] = True

    def transaction_ended(_session: Session, transaction) -> None:
        if transaction.parent is not None:
            return
        session_ids = sorted(session.info.pop(_PENDING, set()))
        if not session.info.pop(_COMMITTED, False):
            return
        for sid in session_ids:
            try:
                with Session(bind) as fresh, fresh.begin():
                    if free_seat_exists(fresh, sid):
                        fill_free_seats(fresh, sid, links, settings)
            except Exception:
                # The sweeper fills free seats too; a failure here only delays a promotion.
                log.exception("promoting waiters of session %s after commit failed", sid)

    event.listen(session, "after_commit", committed)
    event.listen(session, "after_transaction_end", transaction_ended)


_PENDING = "registration_fill_after_commit"
_COMMITTED = "registration_committed"
_LISTENING = "registration_fill_listening"


def set_capacity(
    session: Session,
    programme_session: ProgrammeSession,
    capacity: int,
    links: Links,
    settings: RegistrationSettings,
) -> None:
    """Make the seat rows match a new capacity; the caller holds the session lock.

    More seats go to the waiting list at once (before the start). Fewer seats only remove free
    ones: whoever has a seat keeps it, and nobody new gets one until the seated count is below
    the capacity.
    """
    programme_session.capacity = capacity
    session.flush()
    # Lock every free seat, waiting for registrations that are claiming one right now, so the
    # counts below cannot change under us.
    free_ids = session.scalars(
        select(seats.c.id)
        .where(seats.c.session_id == programme_session.id, seats.c.ticket_id.is_(None))
        .order_by(seats.c.number.desc())
        .with_for_update()
    ).all()
    total, taken = seat_counts(session, programme_session.id)
    if capacity > total:
        highest = session.scalar(
            select(func.coalesce(func.max(seats.c.number), 0)).where(
                seats.c.session_id == programme_session.id
            )
        )
        session.execute(
            insert(seats),
            [
                {"session_id": programme_session.id, "number": highest + n}
                for n in range(1, capacity - total + 1)
            ],
        )
        fill_free_seats(session, programme_session.id, links, settings)
    elif capacity < total:
        excess = total - max(capacity, taken)
        if excess > 0:
            session.execute(delete(seats).where(seats.c.id.in_(free_ids[:excess])))
