"""The security tests' platform: registration and notify in process on their own databases,
joined by handing each outbox message to the consuming service's handlers (what relay and
consumer do, without the broker), and a release of two sessions to start from."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bench.common import SmtpSink
from services.notify.delivery import MailWorker
from services.notify.settings import NotifySettings
from shared.auth import new_token, store_token
from shared.consumer import handle_once
from shared.db import utcnow
from shared.messages import build_envelope, parse_envelope
from shared.service import load_service
from tests.support.backbone import message_routes

EVENT = "secweek"


def release(title: str = "Die Zukunft der Arbeit", number: int = 1) -> dict:
    starts = (datetime.now(UTC) + timedelta(days=10)).replace(hour=10, minute=0, microsecond=0)
    return {
        "event": {
            "slug": EVENT,
            "title": "Sicherheitswoche",
            "timezone": "Europe/Berlin",
            "starts_on": starts.date().isoformat(),
            "ends_on": starts.date().isoformat(),
            "address": "Kampstraße 1, 44137 Dortmund",
        },
        "release": {"number": number, "published_at": datetime.now(UTC).isoformat()},
        "sessions": [
            {
                "id": n,
                "guid": f"sec-{n}",
                "title": f"{title} {n}",
                "starts_at": (starts + timedelta(hours=2 * n)).isoformat(),
                "ends_at": (starts + timedelta(hours=2 * n + 1)).isoformat(),
                "stage": {"guid": "roof", "name": "Baseology", "address": "Kampstraße 1"},
                "tracks": [{"slug": "digitalisierung", "name": "Digitalisierung"}],
                "speakers": [{"name": "Eva Beispiel", "organisation": "adesso"}],
                "livestream_url": "https://example.org/live",
                "registration": {"mode": "required", "capacity": 50},
                "status": "scheduled",
            }
            for n in (1, 2)
        ],
    }


class Platform:
    """Registration and notify apps with their databases; messages delivered by `deliver()`."""

    def __init__(self, make_database, make_config, smtp: SmtpSink):
        self.dbs = {s: make_database(s) for s in ("registration", "notify")}
        self.config = make_config(
            registration_db=self.dbs["registration"],
            notify_db=self.dbs["notify"],
            smtp_url=smtp.url,
        )
        self.smtp = smtp
        self.token = new_token()
        self.apps = {}
        for service, db in self.dbs.items():
            spec = load_service(service)
            with db.transaction() as session:
                store_token(session, spec.tokens, "security", self.token)
            self.apps[service] = spec.create_app(self.config)
        self.clients = {s: app.test_client() for s, app in self.apps.items()}

    def handlers(self, service: str) -> dict:
        return message_routes(service, self.config)

    def publish_release(self, data: dict) -> None:
        envelope = parse_envelope(
            build_envelope("schedule.release.published", data, None).to_json()
        )
        self._consume(envelope)

    def _consume(self, envelope) -> None:
        for service in ("registration", "notify"):
            spec = load_service(service)
            for queue, handler in self.handlers(service).get(envelope.type, []):
                handle_once(self.dbs[service], spec.processed, queue, envelope, handler)

    def deliver(self) -> None:
        """Hand every unpublished registration outbox message to notify's handlers and mark
        it published, as the relay does."""
        outbox = load_service("registration").outbox
        with self.dbs["registration"].transaction() as session:
            rows = session.scalars(
                select(outbox).where(outbox.published_at.is_(None)).order_by(outbox.id)
            ).all()
            bodies = [row.body for row in rows]
            for row in rows:
                row.published_at = utcnow()
        for body in bodies:
            self._consume(parse_envelope(body.encode()))

    def send_mail(self) -> None:
        worker = MailWorker(self.dbs["notify"], self.config, NotifySettings(mail_rate_limit=0))
        while worker.deliver_due():
            pass
        worker.transport.close()

    def register(self, name: str, email: str, sessions=(1,), **extra):
        return self.clients["registration"].post(
            f"/api/v1/events/{EVENT}/registrations",
            json={
                "name": name,
                "email": email,
                "sessions": list(sessions),
                "locale": "de",
                "consent": True,
                **extra,
            },
        )


def json_of(response):
    return json.loads(response.get_data(as_text=True))
