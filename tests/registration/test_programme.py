"""The consumer of programme releases: sessions, capacity changes, cancellations, order."""

from __future__ import annotations

import json
from functools import partial

import pytest
from sqlalchemy import func, select

from services.registration.handlers import Dependencies, on_release
from services.registration.models import (
    Event,
    OutboxMessage,
    ProcessedMessage,
    ProgrammeSession,
    Seat,
    Ticket,
)
from services.registration.models.ticket import CANCELLED, CONFIRMED, WAITLISTED
from shared.consumer import handle_once
from shared.messages import build_envelope
from tests.support.registration import release, session_info


def statuses(db, session_id: int) -> list[tuple[str, str]]:
    """(email, status) of a session's tickets in registration order."""
    with db.transaction() as session:
        return [
            (t.attendee.email, t.status)
            for t in session.scalars(
                select(Ticket).where(Ticket.session_id == session_id).order_by(Ticket.id)
            )
        ]


def seat_rows(db, session_id: int) -> tuple[int, int]:
    with db.transaction() as session:
        return session.execute(
            select(func.count(), func.count(Seat.ticket_id)).where(Seat.session_id == session_id)
        ).one()


def messages(db, routing_key: str) -> list[dict]:
    with db.transaction() as session:
        bodies = session.scalars(
            select(OutboxMessage.body)
            .where(OutboxMessage.routing_key == routing_key)
            .order_by(OutboxMessage.id)
        ).all()
    return [json.loads(b)["data"] for b in bodies]


@pytest.fixture
def full_session(registration_db, publish_release, register_one):
    """Session 1 with 2 seats taken by a and b, and c, d, e waiting in that order."""
    publish_release(registration_db, 1, [session_info(1, capacity=2)])
    for name in "abcde":
        register_one(registration_db, f"{name}@example.org", [1])
    return registration_db


def test_release_creates_sessions_and_seats(registration_db, publish_release):
    publish_release(
        registration_db,
        1,
        [session_info(1, capacity=3), session_info(2, mode="none", capacity=None)],
    )
    with registration_db.transaction() as session:
        first = session.get(ProgrammeSession, 1)
        assert (first.capacity, first.registration_mode, first.event.slug) == (
            3,
            "required",
            "todo2024",
        )
        assert session.get(ProgrammeSession, 2).capacity is None
    assert seat_rows(registration_db, 1) == (3, 0)
    assert seat_rows(registration_db, 2) == (0, 0)


def test_raised_capacity_promotes_first_come_first_served(full_session, publish_release):
    publish_release(full_session, 2, [session_info(1, capacity=4)])
    assert statuses(full_session, 1) == [
        ("a@example.org", CONFIRMED),
        ("b@example.org", CONFIRMED),
        ("c@example.org", CONFIRMED),
        ("d@example.org", CONFIRMED),
        ("e@example.org", WAITLISTED),
    ]
    assert seat_rows(full_session, 1) == (4, 4)
    promoted = messages(full_session, "registration.ticket.promoted")
    assert [m["attendee"]["email"] for m in promoted] == ["c@example.org", "d@example.org"]
    assert promoted[0]["ticket"]["status"] == "confirmed"


def test_lowered_capacity_keeps_everyone_seated_and_takes_nobody_new(
    full_session, publish_release, links, settings
):
    from services.registration.manage import cancel_ticket

    publish_release(full_session, 2, [session_info(1, capacity=1)])
    assert [s for _, s in statuses(full_session, 1)] == [CONFIRMED] * 2 + [WAITLISTED] * 3
    assert seat_rows(full_session, 1) == (2, 2)
    # a cancels: still at capacity 1 with b seated, so nobody moves up and the seat goes away.
    with full_session.transaction() as session:
        cancel_ticket(
            session,
            session.scalars(select(Ticket).order_by(Ticket.id)).first(),
            "attendee",
            links,
            settings,
        )
    assert [s for _, s in statuses(full_session, 1)] == [CANCELLED, CONFIRMED] + [WAITLISTED] * 3
    assert seat_rows(full_session, 1) == (1, 1)
    # Raised again to 3: two seats more, c and d move up.
    publish_release(full_session, 3, [session_info(1, capacity=3)])
    assert [s for _, s in statuses(full_session, 1)] == [CANCELLED] + [CONFIRMED] * 3 + [WAITLISTED]
    assert seat_rows(full_session, 1) == (3, 3)


def test_lowered_capacity_removes_free_seats(registration_db, publish_release, register_one):
    publish_release(registration_db, 1, [session_info(1, capacity=5)])
    register_one(registration_db, "a@example.org", [1])
    publish_release(registration_db, 2, [session_info(1, capacity=2)])
    assert seat_rows(registration_db, 1) == (2, 1)
    availability = _availability(registration_db, 1)
    assert (availability.capacity, availability.confirmed, availability.available) == (2, 1, 1)


def _availability(db, session_id):
    from services.registration.reports import availability

    with db.transaction() as session:
        return availability(session, "todo2024", session_id)


def test_cancelled_session_cancels_every_ticket_and_tells_each_holder(
    full_session, publish_release
):
    publish_release(full_session, 2, [session_info(1, capacity=2, status="cancelled")])
    assert {s for _, s in statuses(full_session, 1)} == {CANCELLED}
    assert seat_rows(full_session, 1) == (2, 0)
    cancelled = messages(full_session, "registration.ticket.cancelled")
    assert sorted(m["attendee"]["email"] for m in cancelled) == [
        f"{n}@example.org" for n in "abcde"
    ]
    assert {m["reason"] for m in cancelled} == {"session_cancelled"}
    # The same state published again tells nobody twice.
    publish_release(full_session, 3, [session_info(1, capacity=2, status="cancelled")])
    assert len(messages(full_session, "registration.ticket.cancelled")) == 5


def test_session_missing_from_a_release_is_cancelled(full_session, publish_release):
    publish_release(full_session, 2, [session_info(2, capacity=2)])
    assert {s for _, s in statuses(full_session, 1)} == {CANCELLED}


def test_an_older_release_arriving_late_is_ignored(registration_db, publish_release):
    publish_release(registration_db, 2, [session_info(1, capacity=10)])
    publish_release(registration_db, 1, [session_info(1, capacity=3, status="cancelled")])
    with registration_db.transaction() as session:
        programme_session = session.get(ProgrammeSession, 1)
        assert (programme_session.capacity, programme_session.status) == (10, "scheduled")
    assert seat_rows(registration_db, 1) == (10, 0)


def test_a_redelivered_release_does_nothing_twice(registration_db, links, settings):
    from services.registration.handlers import Dependencies, on_release
    from services.registration.models import ProcessedMessage
    from shared.consumer import Outcome, handle_once
    from shared.messages import build_envelope
    from tests.support.registration import release

    envelope = build_envelope("schedule.release.published", release(1, [session_info(1)]), None)
    handler = partial(on_release, deps=Dependencies(links, settings))
    args = (registration_db, ProcessedMessage, "registration.programme", envelope, handler)
    assert handle_once(*args) == Outcome.HANDLED
    assert handle_once(*args) == Outcome.DUPLICATE
    assert seat_rows(registration_db, 1) == (40, 0)


def test_a_new_event_starts_with_the_registration_defaults_it_was_created_with(
    registration_db, links, settings
):
    def publish(number: int, defaults: dict) -> None:
        data = release(number, [session_info(1, capacity=3)], "bowo2027")
        data["event"]["registration_defaults"] = defaults
        envelope = build_envelope("schedule.release.published", data, None)
        handler = partial(on_release, deps=Dependencies(links, settings))
        handle_once(registration_db, ProcessedMessage, "registration.programme", envelope, handler)

    def stored() -> tuple:
        with registration_db.transaction() as session:
            event = session.scalars(select(Event).where(Event.slug == "bowo2027")).one()
            return event.confirm_email, event.release_no_shows_after_minutes

    publish(1, {"confirm_email": True, "release_no_shows_after_minutes": 30})
    assert stored() == (True, 30)
    # Afterwards the event's organisers decide here: a later release changes nothing.
    with registration_db.transaction() as session:
        session.scalars(select(Event).where(Event.slug == "bowo2027")).one().confirm_email = False
    publish(2, {"confirm_email": True, "release_no_shows_after_minutes": 45})
    assert stored() == (False, 30)
