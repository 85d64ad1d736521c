"""Registration's part of the event's overview (issue 13): full and nearly full sessions still to
come, seats waiting for an email confirmation; a fragment the schedule service's page fetches
with the organiser's cookie, readable by that origin only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.registration.models import EventOwner
from services.registration.reports import attention
from shared.db import utcnow
from shared.organisations import record_owner
from shared.pages.organisers import organiser_session
from shared.permissions import Principal
from tests.support.registration import DAY, EVENT, session_info


@pytest.fixture
def filled(registration_db, publish_release, register_one):
    """Session 1 full with one waiting, session 2 with 1 of 10 seats left, session 3 over
    (full, but past), session 4 with plenty left."""
    publish_release(
        registration_db,
        1,
        [
            session_info(1, capacity=2, starts_at=DAY),
            session_info(2, capacity=10, starts_at=DAY + timedelta(hours=2)),
            session_info(3, capacity=1, starts_at=DAY + timedelta(days=1)),
            session_info(4, capacity=50, starts_at=DAY + timedelta(days=2)),
        ],
    )
    for n, sessions in enumerate([[1, 2, 3], [1, 2], [1, 2]] + [[2]] * 6):
        register_one(registration_db, f"person{n}@example.org", sessions, name=f"Person {n}")
    publish_release(
        registration_db,
        2,
        [
            session_info(1, capacity=2, starts_at=DAY),
            session_info(2, capacity=10, starts_at=DAY + timedelta(hours=2)),
            session_info(3, capacity=1, starts_at=utcnow() - timedelta(hours=3)),
            session_info(4, capacity=50, starts_at=DAY + timedelta(days=2)),
        ],
    )
    with registration_db.transaction() as session:
        record_owner(session, EventOwner, EVENT, "dortmund", datetime.now(UTC))
    return registration_db


def test_full_and_nearly_full_sessions_to_come(filled):
    with filled.transaction() as session:
        found = attention(session, EVENT, utcnow())
    assert [(row["session"], row["waitlisted"]) for row in found["full"]] == [(1, 1)]
    assert [(row["session"], row["left"]) for row in found["nearly_full"]] == [(2, 1)]
    assert found["held"] == 0


def fragment(client, role: str, lang: str = "de"):
    with client.session_transaction() as cookie:
        cookie.update(organiser_session(Principal("erika", "dortmund", role)))
    return client.get(
        f"/{EVENT}/organiser/attention?lang={lang}",
        headers={"Accept": "text/html", "Origin": "http://127.0.0.1:8001"},
    )


def test_the_fragment_is_for_the_schedule_origin_with_the_cookie_and_never_cached(
    filled, make_app, make_config
):
    app = make_app(filled)
    client = app.test_client()
    answer = fragment(client, "viewer")
    assert answer.status_code == 200, answer.text
    schedule = app.extensions["todo_config"].service_urls["schedule"]
    assert answer.headers["Access-Control-Allow-Origin"] == schedule
    assert answer.headers["Access-Control-Allow-Credentials"] == "true"
    assert answer.headers["Cache-Control"] == "no-store"
    assert "data-attention" in answer.text
    assert "Ausgebucht" in answer.text and "1 auf der Warteliste" in answer.text
    assert "noch 1 Platz frei" in answer.text
    english = fragment(client, "registrations", lang="en")
    assert "1 waiting" in english.text and "1 seat left" in english.text


def test_the_door_may_not_read_the_counts(filled, make_app):
    assert fragment(make_app(filled).test_client(), "door").status_code == 403
