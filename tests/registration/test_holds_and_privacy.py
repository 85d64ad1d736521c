"""Email confirmation holds, the sweeper, and purging personal data after the event."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from services.registration.booking import confirm_email
from services.registration.errors import DomainError
from services.registration.models import Attendee, Event, OutboxMessage, Ticket
from services.registration.models.ticket import CANCELLED, CONFIRMED, HELD, WAITLISTED
from services.registration.sweeper import (
    purge_due_events,
    purge_personal_data,
    release_expired_holds,
)
from shared.db import utcnow
from shared.messages import parse_envelope
from tests.registration.conftest import EVENT, UNTHROTTLED, session_info

CONFIRMING = UNTHROTTLED.with_overrides(confirm_email=True, hold_minutes=30)


@pytest.fixture
def settings():
    return CONFIRMING


def status_of(db, email: str) -> str:
    with db.transaction() as session:
        return session.scalars(
            select(Ticket.status).join(Attendee).where(Attendee.email == email)
        ).one()


def test_a_held_seat_is_confirmed_by_the_link(
    registration_db, publish_release, register_one, links
):
    publish_release(registration_db, 1, [session_info(1, capacity=1)])
    result = register_one(registration_db, "a@example.org", [1])
    ticket = result.tickets[0].ticket
    assert ticket.status == HELD
    assert ticket.hold_expires_at - utcnow() > timedelta(minutes=29)
    token = links.confirm_token(result.attendee.id)
    assert links.attendee_of_confirm_token(token) == result.attendee.id
    assert links.attendee_of_confirm_token(token + "x") is None
    with registration_db.transaction() as session:
        confirmed = confirm_email(session, session.get(Attendee, result.attendee.id), links)
    assert [t.status for t in confirmed] == [CONFIRMED]
    # Once confirmed, further registrations of the address are confirmed at once.
    publish_release(registration_db, 2, [session_info(1, capacity=1), session_info(2, capacity=1)])
    assert register_one(registration_db, "a@example.org", [2]).tickets[0].ticket.status == CONFIRMED


def test_confirm_page(registration_db, publish_release, register_one, make_app):
    publish_release(registration_db, 1, [session_info(1, capacity=1)])
    attendee = register_one(registration_db, "a@example.org", [1]).attendee
    app = make_app(registration_db, CONFIRMING)
    client = app.test_client()
    links = app.extensions["registration_links"]
    url = links.confirm_url(EVENT, attendee.id).removeprefix(links.registration_url)
    assert client.get(url).status_code == 200
    assert status_of(registration_db, "a@example.org") == CONFIRMED
    assert client.get(url + "broken").status_code == 404


def test_expired_holds_go_to_the_waiting_list(
    registration_db, publish_release, register_one, links, settings
):
    publish_release(registration_db, 1, [session_info(1, capacity=1)])
    register_one(registration_db, "a@example.org", [1])
    register_one(registration_db, "b@example.org", [1])
    assert status_of(registration_db, "b@example.org") == WAITLISTED
    with registration_db.transaction() as session:
        assert release_expired_holds(session, links, settings) == 0
    with registration_db.transaction() as session:
        later = utcnow() + timedelta(minutes=31)
        assert release_expired_holds(session, links, settings, now=later) == 1
    assert status_of(registration_db, "a@example.org") == CANCELLED
    # b is promoted into a hold of their own, since b has not confirmed either.
    assert status_of(registration_db, "b@example.org") == HELD


def test_purge_anonymises_a_finished_event_and_keeps_the_numbers(
    registration_db, publish_release, register_one
):
    publish_release(registration_db, 1, [session_info(1, capacity=1)])
    register_one(registration_db, "a@example.org", [1])
    register_one(registration_db, "b@example.org", [1])
    with registration_db.transaction() as session, pytest.raises(DomainError):
        purge_personal_data(session, EVENT)
    with registration_db.transaction() as session:
        ends_on = session.scalars(select(Event.ends_on)).one()
        after = utcnow() + timedelta(days=(ends_on - utcnow().date()).days + 1)
        assert purge_personal_data(session, EVENT, now=after) == 2
    with registration_db.transaction() as session:
        attendees = session.scalars(select(Attendee)).all()
        assert all(a.erased_at and "@example.org" not in a.email and not a.name for a in attendees)
        assert sorted(session.scalars(select(Ticket.status))) == [HELD, WAITLISTED]
        purged = session.scalars(
            select(OutboxMessage).where(OutboxMessage.routing_key == "registration.event.purged")
        ).one()
        assert parse_envelope(purged.body).data == {
            "event": EVENT,
            "attendee_ids": sorted(a.id for a in attendees),
        }


def test_sweeper_purges_events_some_days_after_their_end(
    registration_db, publish_release, register_one
):
    publish_release(registration_db, 1, [session_info(1, capacity=1)])
    register_one(registration_db, "a@example.org", [1])
    with registration_db.transaction() as session:
        ends_on = session.scalars(select(Event.ends_on)).one()
        days_left = (ends_on - utcnow().date()).days
        assert (
            purge_due_events(session, CONFIRMING, now=utcnow() + timedelta(days=days_left + 2))
            == []
        )
        due = utcnow() + timedelta(days=days_left + CONFIRMING.purge_after_days + 2)
        assert purge_due_events(session, CONFIRMING, now=due) == [EVENT]
        assert purge_due_events(session, CONFIRMING, now=due) == []
