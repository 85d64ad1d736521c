"""Booking takeover: whoever registers an address first must not get a way into what the owner
of the mailbox books later. The manage link, the personal feed and the check-in codes reach
the mailbox only; mails about a ticket greet with the name given when it was booked."""

from __future__ import annotations

import email
import email.policy
import re

from sqlalchemy import select

from services.registration.models import Attendee, Event, Ticket
from tests.support.security import EVENT, json_of, release

VICTIM = "victoria@example.org"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def mails_to(platform, recipient: str) -> list[email.message.EmailMessage]:
    return [
        email.message_from_bytes(raw, policy=email.policy.default)
        for raw in platform.smtp.messages_to(recipient)
    ]


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def secrets_of(platform, email_address: str) -> dict[str, str]:
    """What opens or shows a booking: the manage and feed tokens and every check-in code."""
    with platform.dbs["registration"].transaction() as session:
        attendee = session.scalar(select(Attendee).where(Attendee.email == email_address))
        codes = session.scalars(
            select(Ticket.code).where(Ticket.attendee_id == attendee.id).order_by(Ticket.id)
        ).all()
        found = {"manage": attendee.manage_token, "feed": attendee.feed_token}
    return found | {f"code {n}": code for n, code in enumerate(codes)}


def register_on_the_page(client, name: str, address: str, session_id: int):
    form = client.get(f"/{EVENT}/register?sessions={session_id}")
    return client.post(
        f"/{EVENT}/register?sessions={session_id}",
        data={
            "csrf_token": CSRF.search(form.get_data(as_text=True)).group(1),
            "name": name,
            "email": address,
            "locale": "de",
            "consent": "yes",
            "sessions": [str(session_id)],
            "website": "",
        },
    )


def assert_reveals_nothing(received: list[str], secrets: dict[str, str]) -> None:
    for what, secret in secrets.items():
        assert not any(secret in text for text in received), f"{what} leaked"


def test_who_registers_an_address_first_gets_nothing_of_the_owners_booking(platform):
    stranger = platform.clients["registration"].application.test_client()
    key = {"Idempotency-Key": "stranger-1"}
    answer = stranger.post(
        f"/api/v1/events/{EVENT}/registrations",
        json={"name": "Mallory", "email": VICTIM, "sessions": [1], "consent": True},
        headers=key,
    )
    assert answer.status_code == 201
    assert json_of(answer) == {
        "email": VICTIM,
        "email_confirmation_required": False,
        "tickets": [{"session": 1, "status": "confirmed"}],
    }
    posted = register_on_the_page(stranger, "Mallory", VICTIM, 1)
    assert posted.status_code == 303
    receipt = posted.headers["Location"]

    # The owner of the mailbox registers later, for another session, with their own name.
    assert platform.register("Victoria", VICTIM, sessions=(2,)).status_code == 201
    platform.deliver()
    platform.send_mail()

    # Everything the stranger got or can get again: the answer, its stored retry, the receipt.
    retried = stranger.post(
        f"/api/v1/events/{EVENT}/registrations",
        json={"name": "Mallory", "email": VICTIM, "sessions": [1], "consent": True},
        headers=key,
    )
    received = [
        answer.get_data(as_text=True),
        retried.get_data(as_text=True),
        posted.get_data(as_text=True),
        receipt,
        stranger.get(receipt).get_data(as_text=True),
    ]
    secrets = secrets_of(platform, VICTIM)
    assert_reveals_nothing(received, secrets)
    assert not any("Victoria" in text or "/manage/" in text for text in received)
    assert "Die Zukunft der Arbeit 2" not in received[-1]  # the owner's session

    # The link came by mail, to the mailbox only; it opens the owner's booking.
    mails = mails_to(platform, VICTIM)
    assert {r for _, r, _ in platform.smtp.accepted} == {VICTIM}
    manage_links = {
        link for m in mails for link in re.findall(r"http://\S+/manage/[\w-]+", text_of(m))
    }
    assert {link.rsplit("/", 1)[1] for link in manage_links} == {secrets["manage"]}

    # The owner's mails greet the owner; the stranger's name stays with the stranger's ticket.
    [own] = [m for m in mails if "Die Zukunft der Arbeit 2" in m["Subject"]]
    assert text_of(own).startswith("Hallo Victoria,")
    assert own["To"].addresses[0].display_name == "Victoria"
    assert "Mallory" not in own.as_string()

    # A change of both sessions is one mail, which greets nobody by name: its tickets were
    # booked under two names, one of them the stranger's.
    platform.publish_release(release("Die Arbeit von morgen", number=2))
    platform.send_mail()
    [changed] = [m for m in mails_to(platform, VICTIM) if m["Subject"].startswith("Geändert: 2")]
    assert "Die Arbeit von morgen 2" in text_of(changed)
    assert text_of(changed).startswith("Hallo,")
    assert "Mallory" not in changed.as_string() and "Victoria" not in changed.as_string()


def test_a_stranger_learns_nothing_from_asking_for_the_link(platform):
    platform.register("Victoria", VICTIM)
    client = platform.clients["registration"]
    answers = [
        client.post(f"/api/v1/events/{EVENT}/manage-link", json={"email": address})
        for address in (VICTIM, "nobody@example.org")
    ]
    assert [a.status_code for a in answers] == [202, 202]
    assert answers[0].get_data() == answers[1].get_data()
    for _ in range(3):
        client.post(f"/api/v1/events/{EVENT}/manage-link", json={"email": VICTIM.upper()})
    platform.deliver()
    platform.send_mail()
    # One confirmation and one link mail, however often asked; nothing to anyone else.
    assert platform.smtp.per_recipient() == {VICTIM: 2}
    [link_mail] = [m for m in mails_to(platform, VICTIM) if "Link" in m["Subject"]]
    assert secrets_of(platform, VICTIM)["manage"] in text_of(link_mail)
    assert text_of(link_mail).startswith("Hallo,")


def test_with_email_confirmation_the_answer_still_carries_no_link(platform):
    with platform.dbs["registration"].transaction() as session:
        session.scalar(select(Event).where(Event.slug == EVENT)).confirm_email = True
    answer = platform.register("Mallory", VICTIM)
    assert json_of(answer) == {
        "email": VICTIM,
        "email_confirmation_required": True,
        "tickets": [{"session": 1, "status": "held"}],
    }
