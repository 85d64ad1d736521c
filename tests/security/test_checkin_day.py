"""A ticket opens the door only on its session's day, also when the door (session) is named:
a code for next week's session is refused today at that session's door."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from services.registration.models import Attendee, Ticket
from tests.support.security import EVENT, release


def code_of(platform, email: str) -> str:
    with platform.dbs["registration"].transaction() as session:
        return session.scalar(
            select(Ticket.code)
            .join(Attendee)
            .where(Attendee.email == email, Ticket.session_id == 1)
        )


def test_a_ticket_for_another_day_is_refused_at_its_own_door(platform):
    assert platform.register("Eva Muster", "eva@example.org").status_code == 201
    code = code_of(platform, "eva@example.org")
    client = platform.clients["registration"]
    headers = {"Authorization": f"Bearer {platform.token}"}
    url = f"/api/v1/events/{EVENT}/checkins"
    for body in ({"code": code, "session": 1}, {"code": code}):
        refused = client.post(url, json=body, headers=headers)
        assert refused.status_code == 422, refused.get_data(as_text=True)
        assert "anderen Tag" in refused.json["message"] and "code" in refused.json["errors"]

    # The session moves to now: the same code opens its door.
    moved = release(number=2)
    starts = datetime.now(UTC) - timedelta(minutes=10)
    moved["sessions"][0]["starts_at"] = starts.isoformat()
    moved["sessions"][0]["ends_at"] = (starts + timedelta(hours=1)).isoformat()
    platform.publish_release(moved)
    admitted = client.post(url, json={"code": code, "session": 1}, headers=headers)
    assert admitted.status_code == 200, admitted.get_data(as_text=True)
    assert admitted.json["session"] == 1
