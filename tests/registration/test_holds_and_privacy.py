"""Email confirmation holds, the sweeper, and personal data: erasure, purging after the event,
retention of outbox rows about erased attendees and of stored registration answers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from services.registration.booking import confirm_email
from services.registration.idempotency import store_response, stored_response
from services.registration.manage import erase
from services.registration.models import (
    Attendee,
    Event,
    IdempotentResponse,
    OutboxMessage,
    Ticket,
)
from services.registration.models.ticket import CANCELLED, CONFIRMED, HELD, WAITLISTED
from services.registration.sweeper import (
    expire_idempotent_responses,
    forget_erased_messages,
    purge_due_events,
    purge_personal_data,
    release_expired_holds,
)
from shared.db import utcnow
from shared.errors import DomainError
from shared.messages import parse_envelope
from tests.support.registration import EVENT, UNTHROTTLED, session_info, ticket_of

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


def publish_all(db) -> None:
    """What the relay does to the rows it has published."""
    with db.transaction() as session:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.published_at.is_(None))
            .values(published_at=utcnow())
        )


def outbox_aggregates(db) -> list[tuple[str, str, bool]]:
    with db.transaction() as session:
        rows = session.execute(
            select(OutboxMessage.aggregate, OutboxMessage.routing_key, OutboxMessage.published_at)
        )
        return sorted((aggregate, key, at is not None) for aggregate, key, at in rows)


def store_answer(db, key: str, attendee_id: int) -> None:
    with db.transaction() as session:
        assert stored_response(session, f"registrations:{EVENT}", key, "fingerprint") is None
        store_response(session, f"registrations:{EVENT}", key, 201, "{}", attendee_id=attendee_id)


def stored_answers(db) -> list[str]:
    with db.transaction() as session:
        return sorted(session.scalars(select(IdempotentResponse.key)))


def test_erasure_deletes_published_messages_about_the_attendee_and_later_the_rest(
    registration_db, publish_release, register_one, links, settings
):
    publish_release(registration_db, 1, [session_info(1)])
    a = register_one(registration_db, "a@example.org", [1]).attendee.id
    b = register_one(registration_db, "b@example.org", [1]).attendee.id
    publish_all(registration_db)
    with registration_db.transaction() as session:
        erase(session, session.get(Attendee, a), links, settings)
    with registration_db.transaction() as session:
        assert forget_erased_messages(session, utcnow() - timedelta(days=7)) == 1
    # The erasure message waits for the relay: notify must still get it.
    assert outbox_aggregates(registration_db) == [
        (f"attendee:{a}", "registration.attendee.erased", False),
        (f"attendee:{b}", "registration.ticket.held", True),
    ]
    publish_all(registration_db)
    with registration_db.transaction() as session:
        assert forget_erased_messages(session, utcnow() - timedelta(days=7)) == 1
    assert outbox_aggregates(registration_db) == [
        (f"attendee:{b}", "registration.ticket.held", True)
    ]


def test_erasure_changes_ticket_codes_and_deletes_stored_answers(
    registration_db, publish_release, register_one, links, settings
):
    publish_release(registration_db, 1, [session_info(1)])
    a = register_one(registration_db, "a@example.org", [1], name="Anna A").attendee.id
    b = register_one(registration_db, "b@example.org", [1]).attendee.id
    store_answer(registration_db, "key-a", a)
    store_answer(registration_db, "key-b", b)
    old_code = ticket_of(registration_db, "a@example.org", 1).code

    with registration_db.transaction() as session:
        erase(session, session.get(Attendee, a), links, settings)
    with registration_db.transaction() as session:
        (ticket,) = session.scalars(select(Ticket).where(Ticket.attendee_id == a))
        assert ticket.code != old_code and len(ticket.code) == len(old_code)
        assert ticket.name == ""
    assert stored_answers(registration_db) == ["key-b"]


def test_stored_answers_expire_after_the_retention_period(
    registration_db, publish_release, register_one, links, settings
):
    publish_release(registration_db, 1, [session_info(1)])
    a = register_one(registration_db, "a@example.org", [1]).attendee.id
    store_answer(registration_db, "old", a)
    store_answer(registration_db, "new", a)
    retention = timedelta(hours=settings.idempotency_retention_hours)
    with registration_db.transaction() as session:
        session.execute(
            update(IdempotentResponse)
            .where(IdempotentResponse.key == "old")
            .values(created_at=utcnow() - retention - timedelta(minutes=1))
        )
    with registration_db.transaction() as session:
        assert expire_idempotent_responses(session, links, settings) == 1
    assert stored_answers(registration_db) == ["new"]


def test_purge_anonymises_a_finished_event_and_keeps_the_numbers(
    registration_db, publish_release, register_one
):
    publish_release(registration_db, 1, [session_info(1, capacity=1)])
    register_one(registration_db, "a@example.org", [1])
    register_one(registration_db, "b@example.org", [1])
    codes = {ticket_of(registration_db, f"{x}@example.org", 1).code for x in "ab"}
    publish_all(registration_db)
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
        assert not codes & set(session.scalars(select(Ticket.code)))
        # Only the purge message is left: the published messages about the attendees are gone.
        purged = session.scalars(select(OutboxMessage)).one()
        assert purged.routing_key == "registration.event.purged"
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


def test_the_waiting_list_asks_to_confirm_the_address_only_where_a_seat_would_wait_for_it(
    registration_db, publish_release, register_one
):
    publish_release(registration_db, 1, [session_info(1, capacity=1)])
    register_one(registration_db, "a@example.org", [1])
    register_one(registration_db, "b@example.org", [1])
    with registration_db.transaction() as session:
        session.scalars(select(Event)).one().confirm_email = False
    register_one(registration_db, "c@example.org", [1])
    with registration_db.transaction() as session:
        bodies = session.scalars(
            select(OutboxMessage.body).where(
                OutboxMessage.routing_key == "registration.ticket.waitlisted"
            )
        ).all()
    asked = {
        data["attendee"]["email"]: data["ticket"]["confirm_url"] is not None
        for data in (parse_envelope(body.encode()).data for body in bodies)
    }
    # b's seat would wait for the confirmation; c's would be confirmed at once.
    assert asked == {"b@example.org": True, "c@example.org": False}
