"""The secret manage link: API and page; cancelling promotes; language, feed token, GDPR."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from services.registration.models import Attendee, OutboxMessage, Ticket
from services.registration.settings import RegistrationSettings
from tests.support.registration import EVENT, session_info


@pytest.fixture
def booked(registration_db, publish_release, register_one, make_app):
    """a holds the one seat of session 1 and a seat of session 2; b waits for session 1."""
    publish_release(registration_db, 1, [session_info(1, capacity=1), session_info(2, capacity=5)])
    a = register_one(registration_db, "a@example.org", [1, 2])
    register_one(registration_db, "b@example.org", [1], locale="en")
    app = make_app(registration_db)
    return registration_db, app.test_client(), a.attendee.manage_token


def routing_keys(db) -> list[str]:
    with db.transaction() as session:
        return list(session.scalars(select(OutboxMessage.routing_key).order_by(OutboxMessage.id)))


def last_message(db, routing_key: str) -> dict:
    with db.transaction() as session:
        body = session.scalars(
            select(OutboxMessage.body)
            .where(OutboxMessage.routing_key == routing_key)
            .order_by(OutboxMessage.id.desc())
        ).first()
    return json.loads(body)["data"]


def test_booking_shows_tickets_and_links(booked):
    _db, client, token = booked
    booking = client.get(f"/api/v1/manage/{token}").json
    assert [(t["session"], t["status"]) for t in booking["tickets"]] == [
        (1, "confirmed"),
        (2, "confirmed"),
    ]
    assert booking["manage_url"].endswith(f"/{EVENT}/manage/{token}")
    assert "/calendar/personal/" in booking["feed_url"]
    assert len(token) >= 32
    assert client.get("/api/v1/manage/not-a-token").status_code == 404


def test_cancelling_a_seat_promotes_the_first_waiting_at_once(booked):
    db, client, token = booked
    ticket_id = client.get(f"/api/v1/manage/{token}").json["tickets"][0]["id"]
    response = client.post(f"/api/v1/manage/{token}/tickets/{ticket_id}/cancel")
    assert response.status_code == 200
    assert response.json["tickets"][0]["status"] == "cancelled"
    with db.transaction() as session:
        waiting = session.scalars(
            select(Ticket).join(Attendee).where(Attendee.email == "b@example.org")
        ).one()
        assert waiting.status == "confirmed"
    assert routing_keys(db)[-2:] == [
        "registration.ticket.promoted",
        "registration.ticket.cancelled",
    ]
    assert last_message(db, "registration.ticket.cancelled")["reason"] == "attendee"
    assert last_message(db, "registration.ticket.promoted")["attendee"]["locale"] == "en"
    # Cancelling again changes nothing and tells nobody twice.
    before = routing_keys(db)
    assert client.post(f"/api/v1/manage/{token}/tickets/{ticket_id}/cancel").status_code == 200
    assert routing_keys(db) == before


def test_a_ticket_of_someone_else_cannot_be_cancelled(booked, register_one):
    db, client, token = booked
    other = register_one(db, "c@example.org", [2]).tickets[0].ticket.id
    assert client.post(f"/api/v1/manage/{token}/tickets/{other}/cancel").status_code == 404


def test_cancel_all(booked):
    _db, client, token = booked
    booking = client.post(f"/api/v1/manage/{token}/cancel").json
    assert {t["status"] for t in booking["tickets"]} == {"cancelled"}


def test_locale_and_feed_token(booked):
    db, client, token = booked
    old_feed = client.get(f"/api/v1/manage/{token}").json["feed_url"]
    assert client.patch(f"/api/v1/manage/{token}", json={"locale": "en"}).json["locale"] == "en"
    assert client.patch(f"/api/v1/manage/{token}", json={"locale": "fr"}).status_code == 422
    new_feed = client.post(f"/api/v1/manage/{token}/feed-token").json["feed_url"]
    assert new_feed != old_feed
    updated = last_message(db, "registration.attendee.updated")
    assert updated["attendee"]["feed_token"] in new_feed
    assert updated["attendee"]["locale"] == "en"


def test_data_download_and_erasure(booked):
    db, client, token = booked
    data = client.get(f"/api/v1/manage/{token}/data").json
    assert data["attendee"]["email"] == "a@example.org"
    assert data["attendee"]["consent"]["text_version"]
    assert len(data["tickets"]) == 2
    assert client.delete(f"/api/v1/manage/{token}").json == {"erased": True}
    assert client.get(f"/api/v1/manage/{token}").status_code == 404
    with db.transaction() as session:
        erased = session.scalars(select(Attendee).where(Attendee.erased_at.is_not(None))).one()
        assert "a@example.org" not in (erased.name, erased.email)
        assert (
            session.scalar(select(Ticket).where(Ticket.attendee_id == erased.id).limit(1))
            is not None
        )
    message = last_message(db, "registration.attendee.erased")
    # Ids only: the message outlives the erasure in queues (notify mails its own copy).
    assert message == {"event": EVENT, "attendee_id": erased.id}
    # The freed seat went to b; the erased person gets no cancellation mails.
    assert "registration.ticket.cancelled" not in routing_keys(db)
    assert routing_keys(db).count("registration.ticket.promoted") == 1


def test_manage_page_in_german_and_english(booked):
    _db, client, token = booked
    page = client.get(f"/{EVENT}/manage/{token}")
    assert page.status_code == 200 and "Deine Anmeldung" in page.text and "Session 1" in page.text
    assert "Your registration" in client.get(f"/{EVENT}/manage/{token}?lang=en").text
    assert client.get(f"/other/manage/{token}").status_code == 404
    assert client.get(f"/{EVENT}/manage/wrong").status_code == 404


def test_manage_page_forms(booked):
    _db, client, token = booked
    response = client.post(f"/{EVENT}/manage/{token}/locale", data={"locale": "en"})
    assert response.status_code == 303
    assert "Your registration" in client.get(response.headers["Location"]).text
    ticket_id = client.get(f"/api/v1/manage/{token}").json["tickets"][0]["id"]
    assert client.post(f"/{EVENT}/manage/{token}/tickets/{ticket_id}/cancel").status_code == 303
    assert client.get(f"/api/v1/manage/{token}").json["tickets"][0]["status"] == "cancelled"
    assert client.post(f"/{EVENT}/manage/{token}/feed-token").status_code == 303
    assert (
        client.get(f"/{EVENT}/manage/{token}/data.json").json["attendee"]["email"]
        == "a@example.org"
    )
    erased = client.post(f"/{EVENT}/manage/{token}/erase")
    assert erased.status_code == 200 and "erased" in erased.text
    assert client.get(f"/{EVENT}/manage/{token}").status_code == 404


def test_erasure_also_forgets_the_names_on_the_tickets(booked):
    db, client, token = booked
    assert client.delete(f"/api/v1/manage/{token}").json == {"erased": True}
    with db.transaction() as session:
        names = session.scalars(
            select(Ticket.name).join(Attendee).where(Attendee.erased_at.is_not(None))
        ).all()
    assert names == ["", ""]


def test_asking_for_the_link_again_mails_it_to_the_address_only(booked):
    db, client, _token = booked
    url = f"/api/v1/events/{EVENT}/manage-link"
    answers = [
        client.post(url, json={"email": address})
        for address in ("A@Example.org", "nobody@example.org")
    ]
    assert [a.status_code for a in answers] == [202, 202]
    assert answers[0].json == answers[1].json
    assert routing_keys(db).count("registration.attendee.link_requested") == 1
    assert last_message(db, "registration.attendee.link_requested")["attendee"]["email"] == (
        "a@example.org"
    )
    assert client.post(url, json={"email": "not an address"}).status_code == 422
    assert (
        client.post("/api/v1/events/nope/manage-link", json={"email": "a@x.org"}).status_code == 404
    )


def test_the_link_page_answers_the_same_for_any_address(booked):
    db, client, _token = booked
    form = client.get(f"/{EVENT}/manage")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    pages = [
        client.post(
            f"/{EVENT}/manage", data={"csrf_token": csrf, "email": address}, follow_redirects=True
        )
        for address in ("a@example.org", "nobody@example.org")
    ]
    assert [p.status_code for p in pages] == [200, 200]
    assert pages[0].text == pages[1].text and "Wenn diese Adresse angemeldet ist" in pages[0].text
    assert routing_keys(db).count("registration.attendee.link_requested") == 1
    wrong = client.post(f"/{EVENT}/manage", data={"csrf_token": csrf, "email": "nope"})
    assert wrong.status_code == 422 and "error-email-1" in wrong.text


def test_asking_for_the_link_is_rate_limited_per_address(booked, make_app):
    db, _client, _token = booked
    tight = RegistrationSettings(rate_limit_per_ip="100/minute", rate_limit_per_email="2/minute")
    client = make_app(db, tight).test_client()
    url = f"/api/v1/events/{EVENT}/manage-link"
    codes = [client.post(url, json={"email": "a@example.org"}).status_code for _ in range(3)]
    assert codes == [202, 202, 429]


@pytest.mark.parametrize(
    ("registered", "asked"),
    [
        ("Jürgen.Müller@Example.DE", "jürgen.müller@example.de"),
        ("anna@Müller.example", "anna@müller.example"),
        ("anna@müller.example", "anna@xn--mller-kva.example"),
    ],
)
def test_asking_for_the_link_finds_international_addresses(booked, registered, asked):
    db, client, _token = booked
    answer = client.post(
        f"/api/v1/events/{EVENT}/registrations",
        json={
            "name": "Jürgen Müller",
            "email": registered,
            "sessions": [2],
            "locale": "de",
            "consent": True,
        },
    )
    assert answer.status_code == 201, answer.json
    before = routing_keys(db).count("registration.attendee.link_requested")
    asking = client.post(f"/api/v1/events/{EVENT}/manage-link", json={"email": asked})
    assert asking.status_code == 202
    assert routing_keys(db).count("registration.attendee.link_requested") == before + 1
    sent_to = last_message(db, "registration.attendee.link_requested")["attendee"]["email"]
    assert sent_to == answer.json["email"]
