"""What the fuzzing found: values PostgreSQL cannot store or compare — whole numbers beyond its
`integer`, text with a NUL character — in paths, queries and bodies must give a 4xx, not a 500
from the database (public endpoints among them)."""

from __future__ import annotations

import pytest

from tests.support.fuzzing import EVENTS, make_target

TOO_BIG = 99_999_999_999
CASES = {
    "schedule": [
        ("GET", f"/api/v1/events/bench/releases/{TOO_BIG}", None),
        ("GET", f"/api/v1/events/bench/sessions/{TOO_BIG}", None),
        ("PATCH", f"/api/v1/events/bench/speakers/{TOO_BIG}", {"name": "Eva"}),
        ("PATCH", "/api/v1/events/bench/sessions/1", {"speakers": [-TOO_BIG]}),
        ("GET", "/api/v1/events/be%00nch/programme", None),
        ("PATCH", "/api/v1/events/bench/sessions/1", {"title": "Talk\x00"}),
        ("POST", "/api/v1/events/bench/speakers", {"name": "Eva\x00"}),
    ],
    "registration": [
        ("GET", f"/api/v1/events/rush/sessions/{TOO_BIG}/availability", None),
        ("GET", f"/api/v1/events/rush/attendees.csv?session={TOO_BIG}", None),
        (
            "POST",
            "/api/v1/events/rush/registrations",
            {
                "name": "Eva",
                "email": "eva@example.org",
                "sessions": [TOO_BIG],
                "locale": "de",
                "consent": True,
            },
        ),
        ("GET", "/api/v1/manage/abc%00def", None),
        ("GET", "/api/v1/events/ru%00sh/sessions/1/availability", None),
    ],
    "notify": [
        ("GET", "/bench/calendar/tracks/%00.ics", None),
        ("GET", "/bench/calendar/personal/%00.ics", None),
        ("GET", "/be%00nch/calendar.ics", None),
    ],
}


@pytest.mark.parametrize("service", sorted(CASES))
def test_values_the_database_cannot_take_give_a_4xx(service, amqp_url, tmp_path_factory):
    with make_target(service, amqp_url, tmp_path_factory) as (app, token, event):
        assert event == EVENTS[service]
        client = app.test_client()
        answers = {
            (method, path): client.open(
                path, method=method, json=body, headers={"Authorization": f"Bearer {token}"}
            ).status_code
            for method, path, body in CASES[service]
        }
    assert all(400 <= status < 500 for status in answers.values()), answers
