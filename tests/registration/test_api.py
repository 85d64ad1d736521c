"""The registration HTTP API against a real database, through the Flask app."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from services.registration.models import Attendee, IdempotentResponse, OutboxMessage, Ticket
from services.registration.settings import RegistrationSettings
from tests.support.registration import DAY, EVENT, manage_token, session_info

URL = f"/api/v1/events/{EVENT}/registrations"


def body(**changes) -> dict:
    return {
        "name": "Erika Musterfrau",
        "email": "Erika@Example.ORG",
        "sessions": [1],
        "locale": "de",
        "consent": True,
        **changes,
    }


@pytest.fixture
def programme(registration_db, publish_release):
    publish_release(
        registration_db,
        1,
        [
            session_info(1, capacity=2),
            session_info(2, capacity=10),
            session_info(3, capacity=10, starts_at=DAY + timedelta(hours=1, minutes=30)),
            session_info(4, mode="none", capacity=None),
            session_info(5, mode="external", capacity=None),
            session_info(6, status="cancelled"),
            session_info(7, starts_at=DAY - timedelta(days=60)),
            session_info(8, capacity=None),
        ],
    )
    return registration_db


@pytest.fixture
def client(programme, make_app):
    return make_app(programme).test_client()


def stored_rows(db) -> tuple[int, int, int, int]:
    with db.transaction() as session:
        return tuple(
            session.scalar(select(func.count()).select_from(model))
            for model in (Attendee, Ticket, OutboxMessage, IdempotentResponse)
        )


def test_register_confirms_then_waitlists(client, programme):
    first = client.post(URL, json=body(email="a@example.org"))
    assert first.status_code == 201, first.json
    # Sessions and statuses only: the manage link, the feed and the codes go by mail.
    assert first.json == {
        "email": "a@example.org",
        "email_confirmation_required": False,
        "tickets": [{"session": 1, "status": "confirmed"}],
    }
    client.post(URL, json=body(email="b@example.org"))
    third = client.post(URL, json=body(email="c@example.org", sessions=[1, 2]))
    assert third.json["tickets"] == [
        {"session": 1, "status": "waitlisted"},
        {"session": 2, "status": "confirmed"},
    ]
    token = manage_token(programme, "c@example.org")
    booking = client.get(f"/api/v1/manage/{token}").json
    assert [(t["session"], t["waitlist_position"]) for t in booking["tickets"]] == [
        (1, 1),
        (2, None),
    ]
    again = client.post(URL, json=body(email="c@example.org", sessions=[1]))
    assert again.json["tickets"] == [{"session": 1, "status": "waitlisted"}]
    availability = client.get(f"/api/v1/events/{EVENT}/sessions/1/availability")
    assert availability.json == {"capacity": 2, "confirmed": 2, "waitlisted": 1, "available": 0}
    with programme.transaction() as session:
        types = session.scalars(select(OutboxMessage.routing_key).order_by(OutboxMessage.id)).all()
    # Registering again without booking anything new mails the link again.
    assert types == ["registration.ticket.confirmed"] * 2 + [
        "registration.ticket.waitlisted",
        "registration.ticket.confirmed",
        "registration.attendee.link_requested",
    ]
    with programme.transaction() as session:
        waitlisted = session.scalar(
            select(OutboxMessage.body).where(
                OutboxMessage.routing_key == "registration.ticket.waitlisted"
            )
        )
    assert json.loads(waitlisted)["data"]["ticket"]["waitlist_position"] is None


def test_one_registration_of_several_sessions_is_one_booking(client, programme):
    client.post(URL, json=body(email="a@example.org"))
    client.post(URL, json=body(email="b@example.org"))
    client.post(URL, json=body(email="c@example.org", sessions=[1, 2]))
    client.post(URL, json=body(email="d@example.org", sessions=[2]))
    with programme.transaction() as session:
        bodies = session.scalars(
            select(OutboxMessage.body)
            .where(OutboxMessage.routing_key.like("registration.ticket.%"))
            .order_by(OutboxMessage.id)
        ).all()
    data = [json.loads(b)["data"] for b in bodies]
    bookings = [d["booking"] for d in data]
    # Each registration is a booking of its own, the two sessions of c's numbered in order.
    assert [(b["size"], b["index"]) for b in bookings] == [(1, 0), (1, 0), (2, 0), (2, 1), (1, 0)]
    assert len({b["id"] for b in bookings}) == 4
    assert bookings[2]["id"] == bookings[3]["id"]
    assert (
        bookings[2]["tickets"] == bookings[3]["tickets"] == [d["ticket"]["id"] for d in data[2:4]]
    )
    assert [d["ticket"]["status"] for d in data[2:4]] == ["waitlisted", "confirmed"]


def test_email_is_normalised_and_same_email_gets_the_existing_ticket(client, programme):
    first = client.post(URL, json=body(email="Erika@Example.ORG"))
    again = client.post(URL, json=body(email="erika@example.org ", name="Someone Else"))
    assert first.json["email"] == "erika@example.org"
    assert again.status_code == 201
    assert again.json["tickets"] == [{"session": 1, "status": "confirmed"}]
    assert stored_rows(programme)[:2] == (1, 1)


BAD_INPUTS = [
    ("missing name", body(name=None), 422, "name"),
    ("empty name", body(name="   "), 422, "name"),
    ("long name", body(name="x" * 201), 422, "name"),
    ("control characters", body(name="Erika\x00"), 422, "name"),
    ("bad email", body(email="not-an-email"), 422, "email"),
    ("no sessions", body(sessions=[]), 422, "sessions"),
    ("too many sessions", body(sessions=list(range(1, 22))), 422, "sessions"),
    ("session id as text", body(sessions=["1"]), 422, "sessions"),
    ("no consent", body(consent=False), 422, "consent"),
    ("consent missing", {k: v for k, v in body().items() if k != "consent"}, 422, "consent"),
    ("bad locale", body(locale="fr"), 422, "locale"),
    ("unknown session", body(sessions=[1, 99]), 422, "sessions"),
    ("no registration needed", body(sessions=[4]), 422, "sessions"),
    ("registration elsewhere", body(sessions=[5]), 422, "sessions"),
    ("cancelled session", body(sessions=[6]), 422, "sessions"),
    ("past session", body(sessions=[7]), 422, "sessions"),
    ("no capacity known", body(sessions=[8]), 422, "sessions"),
    ("overlapping sessions", body(sessions=[2, 3]), 422, "sessions"),
    ("unknown field", {**body(), "admin": True}, 422, "admin"),
]


@pytest.mark.parametrize(
    ("payload", "status", "field"),
    [case[1:] for case in BAD_INPUTS],
    ids=[case[0] for case in BAD_INPUTS],
)
def test_bad_input_is_refused_and_changes_nothing(client, programme, payload, status, field):
    before = stored_rows(programme)
    response = client.post(URL, json=payload)
    assert response.status_code == status
    assert field in response.json["errors"], response.json
    assert stored_rows(programme) == before


def test_errors_name_the_session(client):
    response = client.post(URL, json=body(sessions=[2, 6, 99]))
    assert set(response.json["errors"]["sessions"]) == {"6", "99"}
    overlap = client.post(URL, json=body(sessions=[2, 3]))
    assert "3" in overlap.json["errors"]["sessions"]["2"][0]


def test_unknown_event_is_404_and_not_json_is_4xx(client, programme):
    assert client.post("/api/v1/events/nope/registrations", json=body()).status_code == 404
    assert client.post(URL, data="{", content_type="application/json").status_code in (400, 422)
    assert client.get(f"/api/v1/events/{EVENT}/sessions/99/availability").status_code == 404
    assert stored_rows(programme) == (0, 0, 0, 0)


def test_twenty_simultaneous_requests_of_one_email_make_one_ticket(programme, make_app):
    app = make_app(programme)

    def post(_):
        return app.test_client().post(URL, json=body(sessions=[2]))

    with ThreadPoolExecutor(max_workers=20) as pool:
        responses = list(pool.map(post, range(20)))
    assert [r.status_code for r in responses] == [201] * 20
    with programme.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Ticket)) == 1
        assert (
            session.scalar(
                select(func.count()).where(OutboxMessage.routing_key.like("registration.ticket.%"))
            )
            == 1
        )
        assert session.scalar(select(func.count()).select_from(Attendee)) == 1


def test_idempotency_key_returns_the_first_answer(client, programme):
    headers = {"Idempotency-Key": "retry-1"}
    first = client.post(URL, json=body(), headers=headers)
    again = client.post(URL, json=body(), headers=headers)
    assert again.status_code == 201
    assert again.get_data() == first.get_data()
    # Not registered again: that would have mailed the link again (a second outbox message).
    assert stored_rows(programme)[:3] == (1, 1, 1)
    other = client.post(URL, json=body(sessions=[2]), headers=headers)
    assert other.status_code == 422 and "Idempotency-Key" in other.json["errors"]


def test_a_failed_request_does_not_use_up_its_idempotency_key(client, programme):
    headers = {"Idempotency-Key": "retry-2"}
    assert client.post(URL, json=body(sessions=[6]), headers=headers).status_code == 422
    assert stored_rows(programme) == (0, 0, 0, 0)


def test_rate_limits_per_email_and_per_ip(programme, make_app):
    tight = RegistrationSettings(rate_limit_per_ip="5/minute", rate_limit_per_email="2/minute")
    client = make_app(programme, tight).test_client()
    codes = [client.post(URL, json=body(email="same@example.org")).status_code for _ in range(3)]
    assert codes == [201, 201, 429]
    codes = [client.post(URL, json=body(email=f"p{n}@example.org")).status_code for n in range(3)]
    assert codes == [201, 201, 429]
    limited = client.post(URL, json=body(email="other@example.org"))
    assert limited.status_code == 429 and limited.json["code"] == 429
    assert 1 <= int(limited.headers["Retry-After"]) <= 60


def test_rate_limits_hold_across_workers(programme, make_app):
    # Two apps on one database, as two gunicorn workers or two machines would be.
    tight = RegistrationSettings(rate_limit_per_ip="1000/minute", rate_limit_per_email="3/minute")
    workers = [make_app(programme, tight).test_client() for _ in range(2)]
    codes = [
        workers[n % 2].post(URL, json=body(email="Jürgen.Müller@Example.de")).status_code
        for n in range(4)
    ]
    assert codes == [201, 201, 201, 429]
