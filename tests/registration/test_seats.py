"""Seats under concurrency: never overbooked, nobody waiting while a seat is free."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from services.registration.manage import cancel_ticket
from services.registration.models import Seat, Ticket
from services.registration.models.ticket import CONFIRMED, SEATED, WAITLISTED
from tests.support.registration import session_info

BACKENDS = ["postgresql", "sqlite"]


def counts(db, session_id: int) -> dict:
    with db.transaction() as session:
        by_status = dict(
            session.execute(
                select(Ticket.status, func.count())
                .where(Ticket.session_id == session_id)
                .group_by(Ticket.status)
            ).all()
        )
        seats_total, seats_taken = session.execute(
            select(func.count(), func.count(Seat.ticket_id)).where(Seat.session_id == session_id)
        ).one()
        seated = session.scalar(
            select(func.count())
            .select_from(Ticket)
            .join(Seat, Seat.ticket_id == Ticket.id)
            .where(Ticket.session_id == session_id, Ticket.status.in_(SEATED))
        )
    return {**by_status, "seats": seats_total, "taken": seats_taken, "seated_on_seat": seated}


def waiting_order(db, session_id: int) -> list[int]:
    with db.transaction() as session:
        return list(
            session.scalars(
                select(Ticket.id)
                .where(Ticket.session_id == session_id, Ticket.status == WAITLISTED)
                .order_by(Ticket.requested_at, Ticket.id)
            )
        )


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_rush_of_400_fills_40_seats_then_cancellations_promote_in_order(
    backend, make_database, publish_release, register_one, links, settings
):
    db = make_database("registration", backend)
    publish_release(db, 1, [session_info(1, capacity=40)])

    def one(n: int):
        return register_one(db, f"person{n}@example.org", [1])

    with ThreadPoolExecutor(max_workers=32) as pool:
        results = list(pool.map(one, range(400)))

    statuses = [r.tickets[0].ticket.status for r in results]
    assert statuses.count(CONFIRMED) == 40
    assert statuses.count(WAITLISTED) == 360
    stored = counts(db, 1)
    assert stored[CONFIRMED] == 40 and stored[WAITLISTED] == 360
    assert stored["seats"] == 40 and stored["taken"] == 40 and stored["seated_on_seat"] == 40

    first_waiting = waiting_order(db, 1)[:10]
    confirmed_ids = [
        r.tickets[0].ticket.id for r in results if r.tickets[0].ticket.status == CONFIRMED
    ]
    for ticket_id in confirmed_ids[:10]:
        with db.transaction() as session:
            cancel_ticket(session, session.get(Ticket, ticket_id), "attendee", links, settings)

    with db.transaction() as session:
        promoted = dict(
            session.execute(
                select(Ticket.id, Ticket.status).where(Ticket.id.in_(first_waiting))
            ).all()
        )
    assert set(promoted.values()) == {CONFIRMED}
    stored = counts(db, 1)
    assert stored[CONFIRMED] == 40 and stored[WAITLISTED] == 350 and stored["cancelled"] == 10
    assert stored["taken"] == 40 and stored["seated_on_seat"] == 40
    assert waiting_order(db, 1)[0] not in first_waiting


@pytest.mark.parametrize("backend", BACKENDS)
def test_twenty_simultaneous_registrations_of_one_email_make_one_ticket(
    backend, make_database, publish_release, register_one
):
    db = make_database("registration", backend)
    publish_release(db, 1, [session_info(1, capacity=40), session_info(2, capacity=1)])

    def one(_):
        return register_one(db, "same@example.org", [1, 2])

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(one, range(20)))
    assert sum(r.attendee_created for r in results) == 1
    assert sum(t.created for r in results for t in r.tickets) == 2
    assert {t.ticket.status for r in results for t in r.tickets} == {CONFIRMED}
    stored = counts(db, 1)
    assert stored[CONFIRMED] == 1 and stored["taken"] == 1
    assert counts(db, 2)["taken"] == 1
