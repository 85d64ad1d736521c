"""Helpers of the notify tests: wall-clock times in Berlin for messages, mails and their calendar
parts, calendars checked by three independent parsers, and a real SMTP server that records."""

from __future__ import annotations

import threading
from email import message_from_bytes, policy
from email.message import EmailMessage

import icalendar
import vobject
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope as SmtpEnvelope
from ical.calendar_stream import IcsCalendarStream

from harness.stack import free_port

EVENT = "todo2024"
BERLIN_OFFSET = "+02:00"


def berlin(day: str, time: str, offset: str = BERLIN_OFFSET) -> str:
    return f"{day}T{time}:00{offset}"


def parse_mail(raw: bytes) -> EmailMessage:
    return message_from_bytes(raw, policy=policy.default)


def calendar_parts(message: EmailMessage) -> list[EmailMessage]:
    return [part for part in message.walk() if part.get_content_type() == "text/calendar"]


def assert_valid_calendar(body: bytes | str) -> icalendar.Calendar:
    """Every calendar the service produces must satisfy three independent parsers."""
    text = body.decode() if isinstance(body, bytes) else body
    calendar = icalendar.Calendar.from_ical(text)
    for component in calendar.walk():
        assert component.errors == [], f"{component.name}: {component.errors}"
    IcsCalendarStream.calendar_from_ics(text)
    parsed = vobject.readOne(text)
    assert parsed.validate()
    return calendar


def events_of(calendar: icalendar.Calendar) -> list[icalendar.Event]:
    return list(calendar.walk("VEVENT"))


class RecordingHandler:
    """Accepts every mail, or answers `reply` (e.g. "550 ...") to DATA when set."""

    def __init__(self):
        self.received: list[SmtpEnvelope] = []
        self.reply: str | None = None
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        if self.reply:
            return self.reply
        with self.lock:
            self.received.append(envelope)
        return "250 Message accepted for delivery"


class SmtpServer:
    """aiosmtpd on a free port of 127.0.0.1, recording what it accepts."""

    def __init__(self):
        self.port = free_port()
        self.handler = RecordingHandler()
        self.controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def messages(self) -> list[EmailMessage]:
        return [parse_mail(envelope.original_content) for envelope in self.handler.received]

    def start(self) -> None:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


PASSWORD_LINK_URL = "https://todo.example/organiser/password/s3cr3t-0123456789abcdef?next=%2F&x=1"


def password_link_data(**changes) -> dict:
    """The data of a `schedule.organiser.password_link` message: Ida invited to Bochum's door by
    Olga, the link valid until Monday, 1 June 2026, 14:00 in Berlin."""
    data = {
        "account": "ida",
        "email": "ida@example.org",
        "locale": "de",
        "organisation": "bochum",
        "organisation_name": "Bochum – Arbeit der Zukunft",
        "role": "door",
        "invited_by": "Olga Owner",
        "invited": True,
        "set_password_url": PASSWORD_LINK_URL,
        "expires_at": "2026-06-01T12:00:00+00:00",
    }
    data.update(changes)
    return data
