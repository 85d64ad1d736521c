"""Attendee links and feed tokens cannot be guessed or enumerated."""

from __future__ import annotations

import itertools
import string
from urllib.parse import urlsplit

from sqlalchemy import select

from services.registration.models import Attendee, Ticket
from tests.security.conftest import EVENT, json_of

URLSAFE = set(string.ascii_letters + string.digits + "-_")


def bits(token: str) -> float:
    assert set(token) <= URLSAFE, token
    return len(token) * 6


def registered(platform, count: int) -> list[dict]:
    answers = []
    for n in range(count):
        response = platform.register(f"Person {n}", f"person{n}@example.org")
        assert response.status_code == 201, response.get_data(as_text=True)
        answers.append(json_of(response))
    return answers


def test_manage_and_feed_tokens_are_long_random_and_carry_no_ids(platform):
    answers = registered(platform, 20)
    with platform.dbs["registration"].transaction() as session:
        attendees = session.scalars(select(Attendee).order_by(Attendee.id)).all()
        codes = session.scalars(select(Ticket.code)).all()
        manage = [a.manage_token for a in attendees]
        feeds = [a.feed_token for a in attendees]
        ids = [a.id for a in attendees]
    for tokens in (manage, feeds, codes):
        assert len(set(tokens)) == len(tokens)
        assert not any(token.isdigit() for token in tokens)
    assert min(bits(t) for t in manage + feeds) >= 128
    # Check-in codes are only accepted together with an organiser token.
    assert min(bits(c) for c in codes) >= 96
    for answer, attendee_id, token in zip(answers, ids, manage, strict=True):
        path = urlsplit(answer["manage_url"]).path
        assert path == f"/{EVENT}/manage/{token}"
        assert str(attendee_id) not in path.split("/")
    # Consecutive attendees' tokens are unrelated (no counter inside).
    for first, second in itertools.pairwise(manage + feeds):
        assert sum(a != b for a, b in zip(first, second, strict=False)) > len(first) // 2


def test_wrong_tokens_answer_the_same_404(platform):
    [answer] = registered(platform, 1)
    token = urlsplit(answer["manage_url"]).path.rsplit("/", 1)[1]
    wrong = [
        token[:-1] + ("A" if token[-1] != "A" else "B"),
        "x" * len(token),
        "x",
        token.upper() if token.upper() != token else token.lower(),
    ]
    registration = platform.clients["registration"]
    notify = platform.clients["notify"]
    answers = {
        "api": [registration.get(f"/api/v1/manage/{w}") for w in wrong],
        "page": [registration.get(f"/{EVENT}/manage/{w}") for w in wrong],
        "feed": [notify.get(f"/{EVENT}/calendar/personal/{w}.ics") for w in wrong],
    }
    for kind, responses in answers.items():
        assert {r.status_code for r in responses} == {404}, kind
        if kind != "page":
            assert len({r.get_data() for r in responses}) == 1, kind
    assert registration.get(f"/api/v1/manage/{token}").status_code == 200


def test_one_attendees_link_cannot_touch_anothers_ticket(platform):
    first, second = registered(platform, 2)
    token = urlsplit(first["manage_url"]).path.rsplit("/", 1)[1]
    with platform.dbs["registration"].transaction() as session:
        other_ticket = session.scalar(
            select(Ticket.id).join(Attendee).where(Attendee.email == second["email"])
        )
    response = platform.clients["registration"].post(
        f"/api/v1/manage/{token}/tickets/{other_ticket}/cancel"
    )
    assert response.status_code == 404
    with platform.dbs["registration"].transaction() as session:
        assert session.get(Ticket, other_ticket).status == "confirmed"
