"""Seats of people not checked in N minutes after the start go to walk-ins at the door, and a
session that has started promotes nobody from its waiting list."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from services.registration.checkin import check_in
from services.registration.manage import cancel_ticket
from services.registration.models import Event, OutboxMessage, Seat, Ticket
from services.registration.models.ticket import CANCELLED, CONFIRMED, HELD, WAITLISTED
from services.registration.reports import availability
from services.registration.seats import fill_free_seats
from services.registration.settings import RegistrationSettings
from services.registration.sweeper import release_no_shows, sweep
from shared.db import utcnow
from tests.support.registration import DAY, EVENT, UNTHROTTLED, session_info, ticket_of

BACKENDS = ["postgresql", "sqlite"]
AFTER_15_MINUTES = UNTHROTTLED.with_overrides(release_no_shows_after_minutes=15)


@pytest.fixture
def settings() -> RegistrationSettings:
    return AFTER_15_MINUTES


def messages(db) -> list[tuple[str, dict]]:
    with db.transaction() as session:
        rows = session.execute(
            select(OutboxMessage.routing_key, OutboxMessage.body).order_by(OutboxMessage.id)
        ).all()
    return [(key, json.loads(body)["data"]) for key, body in rows]


def started(minutes_ago: int, session_id: int, **changes) -> dict:
    """A session of the release that started `minutes_ago` minutes ago and runs for an hour."""
    return session_info(session_id, starts_at=utcnow() - timedelta(minutes=minutes_ago), **changes)


def release_no_shows_once(db, links, settings) -> int:
    with db.transaction() as session:
        return release_no_shows(session, links, settings)


@pytest.fixture
def booked(make_database, publish_release, register_one, links):
    """Sessions 1 to 4 with two seats each: a and b seated, c waiting, a checked in (early).

    Then a release moves them to have started 20 (1), 10 (2) and 90 minutes ago (3, ended),
    and 20 minutes ago but cancelled (4).
    """

    def book(backend: str):
        db = make_database("registration", backend)
        publish_release(db, 1, [session_info(n, capacity=2) for n in (1, 2, 3, 4)])
        for email in ("a@example.org", "b@example.org", "c@example.org"):
            register_one(db, email, [1, 2, 3, 4])
        codes = {n: ticket_of(db, "a@example.org", n).code for n in (1, 2, 3, 4)}
        with db.transaction() as session:
            for session_id, code in codes.items():
                door_opens = DAY + timedelta(hours=session_id)  # the session's day
                check_in(session, EVENT, code, links, session_id=session_id, now=door_opens)
        publish_release(
            db,
            2,
            [
                started(20, 1, capacity=2),
                started(10, 2, capacity=2),
                started(90, 3, capacity=2),
                started(20, 4, capacity=2, status="cancelled"),
            ],
        )
        return db

    return book


@pytest.mark.parametrize("backend", BACKENDS)
def test_no_shows_make_way_for_walk_ins_not_for_the_waiting_list(booked, backend, links, settings):
    db = booked(backend)
    before = len(messages(db))

    assert release_no_shows_once(db, links, settings) == 1

    released = ticket_of(db, "b@example.org", 1)
    assert (released.status, released.cancel_reason) == (CANCELLED, "no_show")
    assert ticket_of(db, "a@example.org", 1).status == CONFIRMED  # checked in: kept
    assert ticket_of(db, "c@example.org", 1).status == WAITLISTED  # not promoted
    # Started only 10 minutes ago: not yet.
    assert ticket_of(db, "b@example.org", 2).status == CONFIRMED
    # Ended: nobody is waiting at the door any more.
    assert ticket_of(db, "b@example.org", 3).status == CONFIRMED
    with db.transaction() as session:
        seats_of_b = session.scalar(
            select(func.count()).select_from(Seat).where(Seat.ticket_id == released.id)
        )
        assert seats_of_b == 0
        free = availability(session, EVENT, 1)
        assert (free.available, free.confirmed, free.waitlisted) == (1, 1, 1)

    new = messages(db)[before:]
    assert [key for key, _data in new] == ["registration.ticket.cancelled"]
    (_key, data), *_rest = new
    assert (data["reason"], data["ticket"]["id"], data["ticket"]["status"]) == (
        "no_show",
        released.id,
        CANCELLED,
    )
    assert data["released_after_minutes"] == 15

    # Another round, and the rest of the sweep, change nothing more.
    sweep(db, links, settings)
    assert release_no_shows_once(db, links, settings) == 0
    assert len(messages(db)) == before + 1
    assert ticket_of(db, "c@example.org", 1).status == WAITLISTED


def test_the_event_setting_comes_before_the_service_default(booked, links, settings):
    db = booked("postgresql")
    with db.transaction() as session:
        session.scalar(select(Event)).release_no_shows_after_minutes = 5
    assert release_no_shows_once(db, links, settings) == 2
    assert ticket_of(db, "b@example.org", 2).cancel_reason == "no_show"


def test_without_a_setting_no_seat_is_released(booked, links):
    db = booked("postgresql")
    assert release_no_shows_once(db, links, UNTHROTTLED) == 0
    with db.transaction() as session:
        session.scalar(select(Event)).release_no_shows_after_minutes = 15
    assert release_no_shows_once(db, links, UNTHROTTLED) == 1


def test_held_seats_of_no_shows_are_released_too(booked, links, settings):
    db = booked("postgresql")
    held = ticket_of(db, "b@example.org", 1)
    with db.transaction() as session:
        session.get(Ticket, held.id).status = HELD
    assert release_no_shows_once(db, links, settings) == 1
    assert ticket_of(db, "b@example.org", 1).status == CANCELLED


def test_a_released_ticket_is_refused_at_the_door(
    booked, links, settings, make_app, organiser_token
):
    db = booked("postgresql")
    release_no_shows_once(db, links, settings)
    client = make_app(db, settings).test_client()
    headers = {"Authorization": f"Bearer {organiser_token(db)}"}
    refused = client.post(
        f"/api/v1/events/{EVENT}/checkins",
        json={"code": ticket_of(db, "b@example.org", 1).code, "session": 1},
        headers=headers,
    )
    assert refused.status_code == 422
    assert refused.json["message"] == (
        "Der Platz wurde freigegeben, weil das Ticket nicht rechtzeitig eingecheckt war."
    )


def test_seats_freed_after_the_start_stay_free(booked, links, settings):
    """Whatever frees a seat once the session runs, nobody waiting online gets it."""
    db = booked("postgresql")
    seated = ticket_of(db, "a@example.org", 2)
    with db.transaction() as session:
        assert cancel_ticket(session, session.get(Ticket, seated.id), "attendee", links, settings)
    with db.transaction() as session:
        assert fill_free_seats(session, 2, links, settings) == 0
    assert ticket_of(db, "c@example.org", 2).status == WAITLISTED
    with db.transaction() as session:
        assert availability(session, EVENT, 2).available == 1
    assert "registration.ticket.promoted" not in [key for key, _data in messages(db)]


def test_the_service_default_comes_from_the_environment():
    variable = "REGISTRATION_RELEASE_NO_SHOWS_AFTER_MINUTES"
    assert RegistrationSettings.from_env({}).release_no_shows_after_minutes is None
    assert RegistrationSettings.from_env({variable: " "}).release_no_shows_after_minutes is None
    assert RegistrationSettings.from_env({variable: "20"}).release_no_shows_after_minutes == 20
    with pytest.raises(ValueError, match=f"{variable} must be a whole number"):
        RegistrationSettings.from_env({variable: "soon"})
    with pytest.raises(ValueError, match=f"{variable} must be between 0 and 240"):
        RegistrationSettings.from_env({variable: "241"})
