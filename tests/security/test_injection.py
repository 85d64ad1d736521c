"""Header and CRLF injection: line breaks in names, emails and titles never become mail headers,
extra recipients or calendar properties. The raw mail is captured at a real SMTP server."""

from __future__ import annotations

import email
import email.policy

import icalendar
import pytest

from tests.support.security import EVENT, release

INJECTED_NAMES = [
    "Eve\r\nBcc: victim@example.org",
    "Eve\nBcc: victim@example.org",
    "Eve\rSubject: owned",
    "=?utf-8?q?Eve=0D=0ABcc=3A_victim=40example=2Eorg?=",
    'Eve" <victim@example.org>, "Mallory',
]
INJECTED_TITLE = (
    "Die Arbeit\r\nATTENDEE:mailto:victim@example.org\r\nBEGIN:VALARM\r\nBcc: victim@example.org"
)


def raw_mails(platform, recipient: str) -> list[email.message.EmailMessage]:
    return [
        email.message_from_bytes(raw, policy=email.policy.default)
        for raw in platform.smtp.messages_to(recipient)
    ]


def assert_clean_mail(message, recipient: str) -> None:
    assert message["Bcc"] is None and message["Cc"] is None
    assert [a.addr_spec for a in message["To"].addresses] == [recipient]
    for name, value in message.items():
        assert "\n" not in str(value) and "\r" not in str(value), (name, value)
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            calendar = icalendar.Calendar.from_ical(part.get_content())
            for event in calendar.walk("VEVENT"):
                attendees = event.get("ATTENDEE", [])
                attendees = attendees if isinstance(attendees, list) else [attendees]
                assert [str(a).lower() for a in attendees] == [f"mailto:{recipient}"]
                assert not event.walk("VALARM")


@pytest.mark.parametrize("name", INJECTED_NAMES)
def test_line_breaks_in_names_never_reach_mail_headers(platform, name):
    recipient = "eve@example.org"
    response = platform.register(name, recipient)
    if response.status_code == 422:
        return  # refused with a clear error: nothing stored, nothing sent
    assert response.status_code == 201, response.get_data(as_text=True)
    platform.deliver()
    platform.send_mail()
    accepted = {r for _, r, _ in platform.smtp.accepted}
    assert accepted == {recipient}
    [message] = raw_mails(platform, recipient)
    assert_clean_mail(message, recipient)


@pytest.mark.parametrize(
    "address",
    [
        "eve@example.org\r\nBcc: victim@example.org",
        "eve@example.org\nRCPT TO:<victim@example.org>",
        "eve@example.org, victim@example.org",
        "Eve <eve@example.org>",
    ],
)
def test_emails_with_line_breaks_or_extra_recipients_are_refused(platform, address):
    response = platform.register("Eve", address)
    assert response.status_code == 422
    assert "email" in response.get_json()["errors"]


def test_line_breaks_in_titles_never_reach_headers_or_calendar_properties(platform):
    platform.publish_release(release(title=INJECTED_TITLE, number=2))
    recipient = "title@example.org"
    assert platform.register("Titus", recipient).status_code == 201
    platform.deliver()
    platform.send_mail()
    assert {r for _, r, _ in platform.smtp.accepted} == {recipient}
    [message] = raw_mails(platform, recipient)
    assert_clean_mail(message, recipient)

    feed = platform.clients["notify"].get(f"/{EVENT}/calendar.ics")
    assert feed.status_code == 200
    calendar = icalendar.Calendar.from_ical(feed.get_data())
    events = calendar.walk("VEVENT")
    assert len(events) == 2
    for event in events:
        assert "ATTENDEE" not in event
        assert not event.walk("VALARM")
        assert "ATTENDEE:mailto:victim@example.org" in str(event["SUMMARY"]).replace("\r\n", "\n")
