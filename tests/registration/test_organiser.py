"""Organiser API: token, check-in, counts, lists and the CSV export."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from services.registration.codes import new_code
from services.registration.models import OutboxMessage
from shared.db import utcnow
from tests.support.registration import DAY, EVENT, session_info

API = f"/api/v1/events/{EVENT}"


@pytest.fixture
def event_with_tickets(registration_db, publish_release, register_one, make_app, organiser_token):
    publish_release(
        registration_db,
        1,
        [
            session_info(1, capacity=2, starts_at=DAY),
            session_info(2, capacity=2, starts_at=DAY + timedelta(hours=2)),
            session_info(3, capacity=2, starts_at=DAY + timedelta(days=1)),
        ],
    )
    tickets = {}
    for email, name, sessions in (
        ("a@example.org", "Anna", [1, 3]),
        ("b@example.org", '=HYPERLINK("http://evil")', [1]),
        ("c@example.org", "Çağla Müller", [1, 2]),
    ):
        result = register_one(registration_db, email, sessions, name=name)
        for t in result.tickets:
            tickets[(email[0], t.ticket.session_id)] = t.ticket
    client = make_app(registration_db).test_client()
    headers = {"Authorization": f"Bearer {organiser_token(registration_db)}"}
    return client, headers, tickets


ORGANISER_CALLS = [
    ("post", f"{API}/checkins", {"code": "x"}),
    ("get", f"{API}/counts", None),
    ("get", f"{API}/sessions/1/tickets", None),
    ("get", f"{API}/attendees.csv", None),
    ("put", f"{API}/settings", {"confirm_email": True}),
]


@pytest.mark.parametrize(("method", "url", "payload"), ORGANISER_CALLS)
def test_organiser_calls_need_a_valid_token(event_with_tickets, method, url, payload):
    client, _headers, _tickets = event_with_tickets
    call = getattr(client, method)
    kwargs = {"json": payload} if payload else {}
    assert call(url, **kwargs).status_code == 401
    wrong = call(url, headers={"Authorization": "Bearer todo_wrong"}, **kwargs)
    assert wrong.status_code == 401
    assert wrong.headers["WWW-Authenticate"].startswith("Bearer")


def checkin(client, headers, code, session):
    return client.post(f"{API}/checkins", json={"code": code, "session": session}, headers=headers)


def test_check_in_at_the_session_door(event_with_tickets, registration_db, publish_release):
    client, headers, tickets = event_with_tickets
    # Doors open on the session's day: session 1 is on now.
    publish_release(
        registration_db,
        2,
        [
            session_info(1, capacity=2, starts_at=utcnow() - timedelta(minutes=30)),
            session_info(2, capacity=2, starts_at=DAY + timedelta(hours=2)),
            session_info(3, capacity=2, starts_at=DAY + timedelta(days=1)),
        ],
    )
    code = tickets[("a", 1)].code
    first = checkin(client, headers, code, 1)
    assert first.status_code == 200
    assert (first.json["name"], first.json["session"]) == ("Anna", 1)
    assert checkin(client, headers, code, 1).status_code == 409
    assert checkin(client, headers, new_code(), 1).status_code == 404
    assert checkin(client, headers, "no-such-code", 1).status_code == 422
    other = checkin(client, headers, tickets[("c", 2)].code, 1)
    assert other.status_code == 422 and "code" in other.json["errors"]
    # c is on the waiting list of session 1: no seat, no entry.
    assert checkin(client, headers, tickets[("c", 1)].code, 1).status_code == 422
    counts = {c["session"]: c for c in client.get(f"{API}/counts", headers=headers).json}
    assert (counts[1]["confirmed"], counts[1]["waitlisted"], counts[1]["checked_in"]) == (2, 1, 1)


def test_check_in_without_session_checks_the_day(event_with_tickets, registration_db, links):
    from services.registration.checkin import check_in
    from shared.errors import DomainError

    _client, _headers, tickets = event_with_tickets
    with registration_db.transaction() as session:
        with pytest.raises(DomainError) as refused:
            check_in(session, EVENT, tickets[("a", 3)].code, links, now=DAY)
        assert refused.value.status == 422
        checked = check_in(session, EVENT, tickets[("a", 1)].code, links, now=DAY)
        assert checked.ticket.session_id == 1


def test_ticket_lists_are_paginated_in_waiting_list_order(event_with_tickets):
    client, headers, _tickets = event_with_tickets
    url = f"{API}/sessions/1/tickets"
    page = client.get(f"{url}?status=confirmed&page_size=1", headers=headers).json
    assert (page["total"], len(page["items"]), page["items"][0]["name"]) == (2, 1, "Anna")
    second = client.get(f"{url}?status=confirmed&page_size=1&page=2", headers=headers)
    assert second.json["items"][0]["email"] == "b@example.org"
    waiting = client.get(f"{url}?status=waitlisted", headers=headers).json
    assert [(i["email"], i["waitlist_position"]) for i in waiting["items"]] == [
        ("c@example.org", 1)
    ]
    assert client.get(f"{url}?page=0", headers=headers).status_code == 422
    assert client.get(f"{API}/sessions/99/tickets", headers=headers).status_code == 404


def test_csv_opens_in_german_excel(event_with_tickets):
    client, headers, _tickets = event_with_tickets
    response = client.get(f"{API}/attendees.csv", headers=headers)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode())
    text = raw.decode("utf-8-sig")
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    assert rows[0][:3] == ["Session", "Titel", "Beginn"]
    assert len(rows) == 1 + 5
    names = [r[3] for r in rows[1:]]
    assert "Çağla Müller" in names
    # A name that a spreadsheet would run as a formula is written as text.
    assert '\'=HYPERLINK("http://evil")' in names
    only_two = client.get(f"{API}/attendees.csv?session=2", headers=headers)
    assert len(only_two.get_data().decode("utf-8-sig").strip().split("\r\n")) == 2


def test_email_confirmation_is_chosen_per_event(event_with_tickets):
    client, headers, _tickets = event_with_tickets
    assert client.get(f"{API}/settings", headers=headers).json == {
        "confirm_email": None,
        "release_no_shows_after_minutes": None,
    }
    changed = client.put(f"{API}/settings", json={"confirm_email": True}, headers=headers)
    assert changed.json == {"confirm_email": True, "release_no_shows_after_minutes": None}
    assert client.put(f"{API}/settings", json={}, headers=headers).status_code == 422
    registration = client.post(
        f"{API}/registrations",
        json={"name": "D", "email": "d@example.org", "sessions": [3], "consent": True},
    )
    assert registration.json["tickets"][0]["status"] == "held"
    assert registration.json["email_confirmation_required"] is True


def test_seats_of_no_shows_are_released_after_minutes_chosen_per_event(event_with_tickets):
    client, headers, _tickets = event_with_tickets
    url = f"{API}/settings"
    chosen = client.put(
        url, json={"confirm_email": None, "release_no_shows_after_minutes": 15}, headers=headers
    )
    assert chosen.status_code == 200
    assert chosen.json == {"confirm_email": None, "release_no_shows_after_minutes": 15}
    # Left out, the minutes stay as they are.
    client.put(url, json={"confirm_email": False}, headers=headers)
    assert client.get(url, headers=headers).json["release_no_shows_after_minutes"] == 15
    for minutes in (-1, 241, 1000, "15", 7.5, True):
        refused = client.put(
            url,
            json={"confirm_email": False, "release_no_shows_after_minutes": minutes},
            headers=headers,
        )
        assert refused.status_code == 422, minutes
        assert list(refused.json["errors"]) == ["release_no_shows_after_minutes"]
    (reason,) = refused.json["errors"]["release_no_shows_after_minutes"]
    assert reason == "Keine gültige ganze Zahl."  # marshmallow's message, in German
    out_of_range = client.put(
        url, json={"confirm_email": False, "release_no_shows_after_minutes": 1000}, headers=headers
    )
    assert out_of_range.json["errors"] == {
        "release_no_shows_after_minutes": ["Bitte 0 bis 240 Minuten angeben."]
    }
    assert client.get(url, headers=headers).json["release_no_shows_after_minutes"] == 15
    for minutes in (0, 240, None):
        edge = client.put(
            url,
            json={"confirm_email": False, "release_no_shows_after_minutes": minutes},
            headers=headers,
        )
        assert edge.json["release_no_shows_after_minutes"] == minutes


def test_each_ticket_keeps_the_name_it_was_booked_with(
    event_with_tickets, register_one, registration_db
):
    """Someone registers Anna's address again under another name: Anna's tickets keep hers,
    the new one carries the other; lists, CSV and the mails follow the ticket."""
    client, headers, _tickets = event_with_tickets
    db = registration_db
    result = register_one(db, "a@example.org", [2, 3], name="Mallory")
    assert [(t.ticket.session_id, t.ticket.name) for t in result.tickets] == [
        (2, "Mallory"),
        (3, "Anna"),
    ]
    names = [
        (i["email"], i["name"])
        for i in client.get(f"{API}/sessions/2/tickets", headers=headers).json["items"]
    ]
    assert names == [("c@example.org", "Çağla Müller"), ("a@example.org", "Mallory")]
    rows = list(
        csv.reader(
            io.StringIO(client.get(f"{API}/attendees.csv", headers=headers).text), delimiter=";"
        )
    )
    assert [(r[0], r[3]) for r in rows if r[4] == "a@example.org"] == [
        ("1", "Anna"),
        ("2", "Mallory"),
        ("3", "Anna"),
    ]
    with db.transaction() as session:
        bodies = session.scalars(
            select(OutboxMessage.body).where(OutboxMessage.routing_key.like("%.ticket.%"))
        ).all()
    sent = {
        (m["data"]["ticket"]["session"], m["data"]["ticket"]["name"])
        for m in map(json.loads, bodies)
        if m["data"]["attendee"]["email"] == "a@example.org"
    }
    assert sent == {(1, "Anna"), (3, "Anna"), (2, "Mallory")}
