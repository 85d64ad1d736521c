"""Check-in answers (API and page): the session's title, the name on the ticket, who checked it
in before and when (in the event's time), the running count; codes typed in any form, old
codes exactly, mistyped codes refused before any lookup; attempts per organiser limited."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from services.registration.codes import check_character
from services.registration.models import Ticket
from services.registration.settings import RegistrationSettings
from shared.db import utcnow
from shared.pages.organisers import organiser_session
from shared.permissions import Principal
from shared.ticket_codes import printed
from tests.support.registration import EVENT, session_info, ticket_of

API = f"/api/v1/events/{EVENT}/checkins"
BERLIN = ZoneInfo("Europe/Berlin")
OLD_CODE = "HDaukWu2_8jaqPtC"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def door(registration_db, publish_release, register_one):
    """Session 1 is on now (three seats: Anna, Ben and Cem seated), session 2 tomorrow."""
    now = utcnow()
    later = [session_info(2, capacity=3, starts_at=now + timedelta(days=1))]
    publish_release(
        registration_db,
        1,
        [session_info(1, capacity=3, starts_at=now + timedelta(hours=1)), *later],
    )
    for email, name in (
        ("a@example.org", "Anna"),
        ("b@example.org", "Ben"),
        ("c@example.org", "Cem"),
    ):
        register_one(registration_db, email, [1, 2], name=name)
    # Doors open on the session's day: it begins now.
    publish_release(
        registration_db,
        2,
        [session_info(1, capacity=3, starts_at=now - timedelta(minutes=30)), *later],
    )
    return registration_db


def test_the_answer_names_the_session_the_holder_and_the_running_count(
    door, make_app, organiser_token
):
    client = make_app(door).test_client()
    headers = {"Authorization": f"Bearer {organiser_token(door)}"}
    anna = ticket_of(door, "a@example.org", 1)
    # Typed as people type it: lower case, spaces for dashes.
    typed = printed(anna.code).lower().replace("-", " ")
    first = client.post(API, json={"code": typed, "session": 1}, headers=headers)
    assert first.status_code == 200, first.json
    answer = first.json
    assert answer["name"] == "Anna" and answer["code"] == printed(anna.code)
    assert (answer["session"], answer["title"]) == (1, "Session 1")
    assert answer["checked_in_by"] == "test"
    assert answer["count"] == {"checked_in": 1, "confirmed": 3}
    ben = ticket_of(door, "b@example.org", 1)
    second = client.post(API, json={"code": ben.code}, headers=headers)
    assert second.json["count"] == {"checked_in": 2, "confirmed": 3}
    assert ticket_of(door, "b@example.org", 1).checked_in_by == "test"

    again = client.post(API, json={"code": anna.code}, headers=headers)
    assert again.status_code == 409
    at = ticket_of(door, "a@example.org", 1).checked_in_at.astimezone(BERLIN)
    assert again.json["message"] == "Anna ist schon eingecheckt (Session 1)."
    assert again.json["errors"]["code"] == [f"eingecheckt um {at:%H:%M} von test"]
    english = client.post(
        API, json={"code": anna.code}, headers={**headers, "Accept-Language": "en"}
    )
    assert english.json["errors"]["code"] == [f"checked in at {at:%H:%M} by test"]


def test_mistyped_codes_are_refused_and_nothing_is_checked_in(door, make_app, organiser_token):
    client = make_app(door).test_client()
    headers = {"Authorization": f"Bearer {organiser_token(door)}"}
    code = ticket_of(door, "a@example.org", 1).code
    swapped = code[1] + code[0] + code[2:] if code[0] != code[1] else code[:-2] + code[-1:-3:-1]
    for typo in (swapped, code.replace(code[3], "O" if code[3] != "O" else "0"), code[:-1]):
        refused = client.post(API, json={"code": typo, "session": 1}, headers=headers)
        assert refused.status_code == 422, typo
        assert "Tippfehler" in refused.json["message"]
    assert ticket_of(door, "a@example.org", 1).checked_in_at is None


def test_old_codes_keep_working_exactly_as_issued(door, make_app, organiser_token):
    with door.transaction() as session:
        ticket_id = session.scalar(
            select(Ticket.id).where(Ticket.session_id == 1).order_by(Ticket.id).limit(1)
        )
        session.execute(update(Ticket).where(Ticket.id == ticket_id).values(code=OLD_CODE))
    client = make_app(door).test_client()
    headers = {"Authorization": f"Bearer {organiser_token(door)}"}
    lower = client.post(API, json={"code": OLD_CODE.lower()}, headers=headers)
    assert lower.status_code == 404
    found = client.post(API, json={"code": f" {OLD_CODE} "}, headers=headers)
    assert found.status_code == 200 and found.json["code"] == OLD_CODE


def test_a_second_check_in_from_before_the_name_was_kept_says_when(door, make_app, organiser_token):
    earlier = utcnow() - timedelta(minutes=5)
    with door.transaction() as session:
        session.execute(update(Ticket).where(Ticket.session_id == 1).values(checked_in_at=earlier))
    client = make_app(door).test_client()
    headers = {"Authorization": f"Bearer {organiser_token(door)}"}
    code = ticket_of(door, "a@example.org", 1).code
    again = client.post(API, json={"code": code}, headers=headers)
    assert again.status_code == 409
    assert again.json["errors"]["code"] == [f"eingecheckt um {earlier.astimezone(BERLIN):%H:%M}"]


def test_check_ins_per_organiser_are_limited(door, make_app, organiser_token):
    settings = RegistrationSettings(
        rate_limit_per_ip="100000/minute", checkin_rate_limit="3/minute"
    )
    client = make_app(door, settings).test_client()
    headers = {"Authorization": f"Bearer {organiser_token(door)}"}
    unknown = "23456789AB" + check_character("23456789AB")
    answers = [client.post(API, json={"code": unknown}, headers=headers) for _ in range(4)]
    assert [a.status_code for a in answers[:3]] == [404] * 3
    assert answers[3].status_code == 429 and "Retry-After" in answers[3].headers
    # The limit holds before the lookup: even a right code is refused now.
    code = ticket_of(door, "a@example.org", 1).code
    assert client.post(API, json={"code": code}, headers=headers).status_code == 429
    assert ticket_of(door, "a@example.org", 1).checked_in_at is None


def sign_in(client, name: str) -> None:
    with client.session_transaction() as cookie:
        cookie.update(organiser_session(Principal(name)))


@pytest.mark.parametrize(
    ("language", "checked", "count", "already"),
    [
        ("de", "Eingecheckt: Anna – Session 1", "1 von 3 eingecheckt: Session 1", "von Tür 1"),
        ("en", "Checked in: Anna – Session 1", "1 of 3 checked in: Session 1", "by Tür 1"),
    ],
)
def test_the_page_answers_with_title_name_count_and_who_was_first(
    door, make_app, language, checked, count, already
):
    client = make_app(door).test_client()
    sign_in(client, "Tür 1")
    url = f"/{EVENT}/organiser/check-in"
    page = client.get(f"{url}?session=1&lang={language}")
    assert "0 " in page.text and ("0 von 3" in page.text or "0 of 3" in page.text)
    assert "checkin.js" in page.text and 'id="scanner" hidden' in page.text
    token = CSRF.search(page.text).group(1)
    code = printed(ticket_of(door, "a@example.org", 1).code)

    def scan(value: str):
        return client.post(url, data={"csrf_token": token, "code": value, "session": "1"})

    done = scan(code.lower())
    assert done.status_code == 200
    assert checked in done.text and count in done.text and code in done.text
    again = scan(code)
    assert again.status_code == 409 and already in again.text
    at = ticket_of(door, "a@example.org", 1).checked_in_at.astimezone(BERLIN)
    assert f"{at:%H:%M}" in again.text
    assert count in again.text
