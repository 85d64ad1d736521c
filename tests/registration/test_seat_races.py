"""Interleavings on PostgreSQL that a rush produces only by chance, forced step by step."""

from __future__ import annotations

import threading

import psycopg
from sqlalchemy import select
from sqlalchemy.engine import make_url

from harness.infra import wait_until
from services.registration.booking import register
from services.registration.manage import cancel_ticket
from services.registration.models import Attendee, Ticket
from services.registration.models.ticket import CONFIRMED, WAITLISTED
from tests.support.registration import EVENT, session_info


def waiting_on_a_lock(db) -> bool:
    url = make_url(db.url).set(drivername="postgresql")
    with psycopg.connect(url.render_as_string(hide_password=False)) as conn:
        return bool(
            conn.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            ).fetchone()[0]
        )


def status_of(db, email: str) -> str:
    with db.transaction() as session:
        return session.scalars(
            select(Ticket.status).join(Attendee).where(Attendee.email == email)
        ).one()


def in_thread(target) -> tuple[threading.Thread, dict]:
    outcome: dict = {}

    def run():
        try:
            outcome["value"] = target()
        except Exception as exc:  # handed to the test thread
            outcome["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def test_a_seat_skipped_while_locked_is_taken_when_its_claim_rolls_back(
    registration_db, publish_release, register_one, links, settings
):
    publish_release(registration_db, 1, [session_info(1, capacity=1)])
    claiming = registration_db.session()
    first = register(
        claiming,
        EVENT,
        name="A",
        email="a@example.org",
        session_ids=[1],
        locale="de",
        links=links,
        settings=settings,
    )
    assert first.tickets[0].ticket.status == CONFIRMED  # not committed yet
    thread, outcome = in_thread(lambda: register_one(registration_db, "b@example.org", [1]))
    wait_until(lambda: waiting_on_a_lock(registration_db), message="b waiting for a's seat")
    claiming.rollback()
    claiming.close()
    thread.join(30)
    assert "error" not in outcome
    assert outcome["value"].tickets[0].ticket.status == CONFIRMED


def test_nobody_waits_when_a_seat_frees_while_they_join_the_waiting_list(
    registration_db, publish_release, register_one, links, settings
):
    publish_release(registration_db, 1, [session_info(1, capacity=1)])
    seated = register_one(registration_db, "a@example.org", [1]).tickets[0].ticket
    joining = registration_db.session()
    register(
        joining,
        EVENT,
        name="B",
        email="b@example.org",
        session_ids=[1],
        locale="de",
        links=links,
        settings=settings,
    )

    def cancel():
        with registration_db.transaction() as session:
            cancel_ticket(session, session.get(Ticket, seated.id), "attendee", links, settings)

    thread, outcome = in_thread(cancel)
    # The cancellation either waits for b's transaction or frees the seat before b commits.
    wait_until(
        lambda: not thread.is_alive() or waiting_on_a_lock(registration_db),
        message="cancellation done or waiting",
    )
    joining.commit()
    joining.close()
    thread.join(30)
    assert "error" not in outcome
    assert status_of(registration_db, "b@example.org") == CONFIRMED


def test_a_rebooked_cancelled_ticket_racing_a_cancellation_ends_seated(
    registration_db, publish_release, register_one, links, settings
):
    """A re-booking reuses its old ticket row; whichever way it and the cancellation are
    ordered, b ends with the freed seat."""
    publish_release(registration_db, 1, [session_info(1, capacity=1)])
    seated = register_one(registration_db, "a@example.org", [1]).tickets[0].ticket
    old = register_one(registration_db, "b@example.org", [1]).tickets[0].ticket
    assert old.status == WAITLISTED
    with registration_db.transaction() as session:
        cancel_ticket(session, session.get(Ticket, old.id), "attendee", links, settings)
    rebooking = registration_db.session()
    again = register(
        rebooking,
        EVENT,
        name="B",
        email="b@example.org",
        session_ids=[1],
        locale="de",
        links=links,
        settings=settings,
    )
    assert again.tickets[0].ticket.status == WAITLISTED

    def cancel():
        with registration_db.transaction() as session:
            cancel_ticket(session, session.get(Ticket, seated.id), "attendee", links, settings)

    thread, outcome = in_thread(cancel)
    wait_until(
        lambda: not thread.is_alive() or waiting_on_a_lock(registration_db),
        message="cancellation done or waiting",
    )
    rebooking.commit()
    rebooking.close()
    thread.join(30)
    assert "error" not in outcome
    assert status_of(registration_db, "b@example.org") == CONFIRMED


def _free_seat_beside_a_waiter(db, publish_release, register_one) -> int:
    """The state a missed interleaving would leave: a free seat while b waits."""
    from sqlalchemy import update

    from services.registration.models import Seat

    publish_release(db, 1, [session_info(1, capacity=1)])
    seated = register_one(db, "a@example.org", [1]).tickets[0].ticket
    register_one(db, "b@example.org", [1])
    with db.transaction() as session:
        session.execute(update(Seat).values(ticket_id=None))
        session.execute(update(Ticket).where(Ticket.id == seated.id).values(status="cancelled"))
    return seated.id


def test_the_check_after_commit_promotes_into_a_free_seat(
    registration_db, publish_release, register_one, links, settings
):
    from services.registration.seats import fill_after_commit

    _free_seat_beside_a_waiter(registration_db, publish_release, register_one)
    rolled_back = registration_db.session()
    fill_after_commit(rolled_back, 1, links, settings)
    rolled_back.rollback()
    rolled_back.close()
    assert status_of(registration_db, "b@example.org") == WAITLISTED
    with registration_db.transaction() as session:
        fill_after_commit(session, 1, links, settings)
    assert status_of(registration_db, "b@example.org") == CONFIRMED


def test_the_sweeper_promotes_into_free_seats_too(
    registration_db, publish_release, register_one, links, settings
):
    from services.registration.sweeper import fill_all_free_seats

    _free_seat_beside_a_waiter(registration_db, publish_release, register_one)
    with registration_db.transaction() as session:
        assert fill_all_free_seats(session, links, settings) == 1
    assert status_of(registration_db, "b@example.org") == CONFIRMED
