"""Fixtures of the notify tests: message factories, a handler runner and a real SMTP server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from services.notify.delivery import MailWorker, SmtpTransport
from services.notify.handlers import HANDLERS, dependencies
from services.notify.mails import Mailer
from services.notify.models import OutgoingMail, ProcessedMessage
from services.notify.settings import NotifySettings
from shared.consumer import bind_handlers, handle_once
from shared.messages import build_envelope, parse_envelope
from tests.support.notify import EVENT, SmtpServer, berlin


@pytest.fixture
def session_info():
    """session_info(id, **changes) -> one session of a release message."""

    def make(session_id: int, **changes) -> dict:
        info = {
            "id": session_id,
            "guid": f"00000000-0000-4000-8000-{session_id:012d}",
            "title": f"Session {session_id}: Arbeit 4.0",
            "title_en": f"Session {session_id}: Work 4.0",
            "abstract": "Wie arbeiten wir morgen?",
            "starts_at": berlin("2024-04-29", "18:00"),
            "ends_at": berlin("2024-04-29", "19:00"),
            "stage": {
                "guid": "stage-baseology",
                "name": "Baseology",
                "address": "Kampstraße 1, 44137 Dortmund",
                "capacity": 40,
                "stream_url": "https://todo-dortmund.de/live",
            },
            "tracks": [{"slug": "digitalisierung", "name": "Digitalisierung", "color": ""}],
            "speakers": [{"guid": None, "name": "Eva Beispiel", "organisation": "adesso"}],
            "streamed": True,
            "livestream_url": "https://todo-dortmund.de/live",
            "registration": {"mode": "required", "capacity": 40},
            "status": "scheduled",
            "url": f"https://todo-dortmund.de/programm/{session_id}",
        }
        info.update(changes)
        return info

    return make


@pytest.fixture
def release_data(session_info):
    """release_data(number, sessions=[...], changes=[...]) -> a release message's data."""

    def make(number: int = 1, sessions: list | None = None, changes: list | None = None) -> dict:
        return {
            "event": {
                "slug": EVENT,
                "title": "to:DO – Dortmunds neue Arbeit",
                "timezone": "Europe/Berlin",
                "locale": "de",
                "starts_on": "2024-04-29",
                "ends_on": "2024-05-03",
                "address": "Kampstraße 1, 44137 Dortmund",
                "url": "https://todo-dortmund.de",
            },
            "release": {
                "number": number,
                "comment": "",
                "published_at": (
                    datetime(2024, 4, 1, 12, tzinfo=UTC) + timedelta(hours=number)
                ).isoformat(),
            },
            "sessions": sessions if sessions is not None else [session_info(1)],
            "changes": changes or [],
        }

    return make


@pytest.fixture
def ticket_data():
    """ticket_data(attendee_id, ticket_id, session, status="confirmed", **attendee) -> data."""

    def make(
        attendee_id: int = 1,
        ticket_id: int = 1,
        session: int = 1,
        status: str = "confirmed",
        **attendee,
    ) -> dict:
        info = {
            "id": attendee_id,
            "name": f"Anna Muster {attendee_id}",
            "email": f"anna{attendee_id}@example.org",
            "locale": "de",
            "manage_url": f"https://todo.example/manage/secret-{attendee_id}",
            "feed_token": f"feedtoken-{attendee_id}-aaaaaaaaaaaaaaaa",
        }
        info.update(attendee)
        return {
            "event": EVENT,
            "attendee": info,
            "ticket": {
                "id": ticket_id,
                "code": f"TKT-{ticket_id:06d}",
                "session": session,
                "status": status,
                "waitlist_position": 3 if status == "waitlisted" else None,
                "confirm_url": "https://todo.example/confirm/x"
                if status in ("held", "waitlisted")
                else None,
                "hold_expires_at": "2024-04-20T12:00:00+00:00" if status == "held" else None,
            },
        }

    return make


@pytest.fixture
def notify_settings() -> NotifySettings:
    return NotifySettings(feed_cache_seconds=0, mail_rate_limit=0, mail_retry_base_seconds=60)


@pytest.fixture
def notify_config(make_config, notify_db):
    return make_config(notify_db=notify_db, public_base_url="https://todo.example")


@pytest.fixture
def deliver(notify_db, notify_config, notify_settings):
    """deliver(type, data, envelope=None) -> outcome: one message through the consumer path
    (parsed from its JSON like the runner does, then `handle_once`)."""
    handlers = bind_handlers(HANDLERS, dependencies(notify_config, notify_settings))
    by_type = {t: (spec.name, h) for spec, hs in handlers.items() for t, h in hs.items()}

    def run(type_name: str, data: dict, envelope=None):
        envelope = envelope or build_envelope(type_name, data, None)
        parsed = parse_envelope(envelope.to_json())
        queue_name, handler = by_type[type_name]
        outcome = handle_once(notify_db, ProcessedMessage, queue_name, parsed, handler)
        run.last_envelope = envelope
        return outcome

    return run


@pytest.fixture
def mails(notify_db, notify_config):
    """mails(**filters) -> OutgoingMail rows, oldest first, each not sent yet with `message`
    composed as the delivery worker will (on the returned copy only)."""
    mailer = Mailer(notify_config)

    def query(**filters) -> list[OutgoingMail]:
        with notify_db.transaction() as session:
            statement = select(OutgoingMail).filter_by(**filters).order_by(OutgoingMail.id)
            rows = list(session.scalars(statement))
            session.expunge_all()
        for mail in rows:
            if mail.message is None and mail.content is not None:
                mail.message = mailer.message_bytes(mail)
        return rows

    return query


# -- a real SMTP server --------------------------------------------------------------------


@pytest.fixture
def smtp_server():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def mail_worker(notify_db, notify_config, notify_settings, smtp_server):
    worker = MailWorker(
        notify_db,
        notify_config.with_overrides(smtp_url=smtp_server.url),
        notify_settings,
        transport=SmtpTransport(smtp_server.url, timeout=5),
    )
    yield worker
    worker.transport.close()
