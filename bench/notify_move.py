"""A session with 1,000 attendees moves: time until all updated invitations are accepted by SMTP.

The release goes through the real consumer path (`handle_once` with notify's handler) on
PostgreSQL; the real mail senders (`--workers N` `todo send-mail` processes, default as `make
run` starts them, woken by LISTEN/NOTIFY) compose and deliver to an aiosmtpd server in this
process. Measured: handler time (copy, SEQUENCE, 1,000 queued mails with their
invitations, feeds) and time from the release to the 1,000th mail accepted.

    .venv/bin/python -m bench.notify_move [--attendees 1000] [--rate-limit 0] [--workers 2]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from aiosmtpd.controller import Controller
from sqlalchemy import delete

from harness.infra import create_pg_database, drop_pg_database, migrated_database
from services.notify.handlers import HANDLERS, dependencies
from services.notify.models import OutgoingMail, ProcessedMessage
from services.notify.settings import NotifySettings
from shared.config import Config
from shared.consumer import bind_handlers, handle_once
from shared.messages import build_envelope, parse_envelope

RESULTS = Path(__file__).parent / "results"


def release(number: int, starts_at: str, ends_at: str) -> dict:
    return {
        "event": {
            "slug": "bench",
            "title": "Bench week",
            "timezone": "Europe/Berlin",
            "starts_on": "2024-04-29",
            "ends_on": "2024-05-03",
        },
        "release": {"number": number, "published_at": datetime.now(UTC).isoformat()},
        "sessions": [
            {
                "id": 1,
                "guid": "bench-1",
                "title": "Die Zukunft der Arbeit",
                "starts_at": starts_at,
                "ends_at": ends_at,
                "stage": {"guid": "s", "name": "Baseology", "address": "Kampstraße 1, Dortmund"},
                "tracks": [{"slug": "digitalisierung", "name": "Digitalisierung"}],
                "speakers": [{"name": "Eva Beispiel", "organisation": "adesso"}],
                "livestream_url": "https://example.org/live",
                "registration": {"mode": "required", "capacity": 2000},
                "status": "scheduled",
            }
        ],
    }


def ticket(n: int) -> dict:
    return {
        "event": "bench",
        "attendee": {
            "id": n,
            "name": f"Person {n}",
            "email": f"person{n}@example.org",
            "locale": "de" if n % 2 else "en",
            "manage_url": f"https://example.org/m/{n}",
            "feed_token": f"token-{n:08d}-xxxxxxxxxxxxxxxx",
        },
        "ticket": {"id": n, "code": f"T{n:08d}", "session": 1, "status": "confirmed"},
    }


class Counter:
    def __init__(self):
        self.count = 0
        self.last_at = 0.0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
            self.last_at = time.monotonic()
        return "250 OK"


@contextlib.contextmanager
def mail_workers(count: int, db, config: Config, settings: NotifySettings, rate_limit: float):
    """`count` `todo send-mail` processes, as `make run` starts them, idle and listening."""
    env = {
        **os.environ,
        "NOTIFY_DATABASE_URL": db.url,
        "SMTP_URL": config.smtp_url,
        "MAIL_RATE_LIMIT": str(rate_limit),
        "NOTIFY_MAIL_PROCESSES": str(count),
    }
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "shared.cli", "send-mail"],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(count)
    ]
    try:
        for process in processes:
            while "mail worker started" not in process.stderr.readline():
                pass
        time.sleep(1)
        yield
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)


def measure(attendees: int, rate_limit: float, workers: int) -> dict:
    url = create_pg_database("b_notify")
    db = migrated_database("notify", url)
    counter = Counter()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(counter, hostname="127.0.0.1", port=port)
    controller.start()
    config = Config.from_env({"NOTIFY_DATABASE_URL": url}).with_overrides(
        smtp_url=f"smtp://127.0.0.1:{port}"
    )
    settings = NotifySettings(mail_rate_limit=rate_limit)
    handlers = bind_handlers(HANDLERS, dependencies(config, settings))
    programme = next(spec for spec in handlers if spec.name == "notify.programme")
    tickets = next(spec for spec in handlers if spec.name == "notify.tickets")

    def deliver(spec, type_name, data):
        envelope = parse_envelope(build_envelope(type_name, data, None).to_json())
        handle_once(db, ProcessedMessage, spec.name, envelope, handlers[spec][type_name])

    try:
        deliver(
            programme,
            "schedule.release.published",
            release(1, "2024-04-29T18:00:00+02:00", "2024-04-29T19:00:00+02:00"),
        )
        for n in range(1, attendees + 1):
            deliver(tickets, "registration.ticket.confirmed", ticket(n))
        with db.transaction() as session:
            session.execute(delete(OutgoingMail))  # the confirmations are not part of this

        with mail_workers(workers, db, config, settings, rate_limit):
            start = time.monotonic()
            start_cpu = time.thread_time()
            deliver(
                programme,
                "schedule.release.published",
                release(2, "2024-04-30T10:00:00+02:00", "2024-04-30T11:00:00+02:00"),
            )
            handled = time.monotonic()
            handler_cpu = time.thread_time() - start_cpu
            deadline = start + 120
            while counter.count < attendees and time.monotonic() < deadline:
                time.sleep(0.01)
            done = counter.last_at
    finally:
        controller.stop()
        db.dispose()
        drop_pg_database(url)
    return {
        "attendees": attendees,
        "accepted": counter.count,
        "rate_limit_per_s": rate_limit,
        "mail_workers": workers,
        "handler_seconds": round(handled - start, 3),
        "handler_cpu_seconds": round(handler_cpu, 3),
        "all_accepted_seconds": round(done - start, 3),
        "mails_per_second": round(counter.count / (done - handled), 1) if done > handled else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attendees", type=int, default=1000)
    parser.add_argument("--rate-limit", type=float, default=NotifySettings.mail_rate_limit)
    parser.add_argument(
        "--workers",
        type=int,
        default=NotifySettings().mail_processes,
        help="`todo send-mail` processes",
    )
    args = parser.parse_args()
    result = measure(args.attendees, args.rate_limit, args.workers)
    result["cpus"] = os.cpu_count()
    result["load_average_1m"] = os.getloadavg()[0]
    result["measured_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    print(
        f"{result['accepted']}/{args.attendees} updated invitations accepted by SMTP "
        f"{result['all_accepted_seconds']} s after the release "
        f"(handler {result['handler_seconds']} s wall / {result['handler_cpu_seconds']} s CPU, "
        f"sending {result['mails_per_second']} mails/s with {args.workers} worker(s), "
        f"rate limit {args.rate_limit or 'none'}/s, "
        f"load average {result['load_average_1m']:.1f})"
    )
    RESULTS.mkdir(exist_ok=True)
    name = f"notify_move-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}.json"
    (RESULTS / name).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
