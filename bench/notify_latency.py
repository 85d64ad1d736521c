"""Ticket confirmation handled by notify to mail accepted by SMTP, at a steady rate.

Confirmations go through notify's real consumer path (`handle_once` + handler) at `--rate` per
second on PostgreSQL; the real mail worker (`MailWorker.run`, woken by LISTEN/NOTIFY) sends to
an aiosmtpd server. Latency = handler commit -> SMTP server accepted the mail. (The lead's
cross-service benchmark adds registration, relay and RabbitMQ in front of this.)

    .venv/bin/python -m bench.notify_latency [--rate 200] [--seconds 10]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from aiosmtpd.controller import Controller

from bench.notify_move import release, ticket
from harness.bus import running
from harness.infra import create_pg_database, drop_pg_database, migrated_database
from services.notify.delivery import MailWorker
from services.notify.handlers import HANDLERS, dependencies
from services.notify.models import ProcessedMessage
from services.notify.settings import NotifySettings
from shared.config import Config
from shared.consumer import bind_handlers, handle_once
from shared.messages import build_envelope, parse_envelope

RESULTS = Path(__file__).parent / "results"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


class Recorder:
    def __init__(self):
        self.accepted: dict[str, float] = {}
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.accepted[envelope.rcpt_tos[0]] = time.monotonic()
        return "250 OK"


def measure(rate: float, seconds: float) -> dict:
    url = create_pg_database("b_notify_lat")
    db = migrated_database("notify", url)
    recorder = Recorder()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    config = Config.from_env({"NOTIFY_DATABASE_URL": url}).with_overrides(
        smtp_url=f"smtp://127.0.0.1:{port}"
    )
    settings = NotifySettings()
    handlers = bind_handlers(HANDLERS, dependencies(config, settings))
    specs = {spec.name: spec for spec in handlers}

    def deliver(queue: str, type_name: str, data: dict) -> None:
        envelope = parse_envelope(build_envelope(type_name, data, None).to_json())
        handle_once(db, ProcessedMessage, queue, envelope, handlers[specs[queue]][type_name])

    committed: dict[str, float] = {}
    handler_cpu = 0.0
    try:
        deliver(
            "notify.programme",
            "schedule.release.published",
            release(1, "2024-04-29T18:00:00+02:00", "2024-04-29T19:00:00+02:00"),
        )
        with running(MailWorker(db, config, settings)):
            time.sleep(1)
            total = int(rate * seconds)
            start = time.monotonic()
            for n in range(1, total + 1):
                time.sleep(max(0.0, start + n / rate - time.monotonic()))
                cpu = time.thread_time()
                deliver("notify.tickets", "registration.ticket.confirmed", ticket(n))
                handler_cpu += time.thread_time() - cpu
                committed[f"person{n}@example.org"] = time.monotonic()
            offered = total / (time.monotonic() - start)
            deadline = time.monotonic() + 60
            while len(recorder.accepted) < total and time.monotonic() < deadline:
                time.sleep(0.05)
    finally:
        controller.stop()
        db.dispose()
        drop_pg_database(url)
    latencies = [recorder.accepted[k] - committed[k] for k in committed if k in recorder.accepted]
    return {
        "rate_asked": rate,
        "rate_achieved": round(offered, 1),
        "mails": len(committed),
        "accepted": len(latencies),
        "p50_ms": round(percentile(latencies, 50) * 1000, 1) if latencies else None,
        "p99_ms": round(percentile(latencies, 99) * 1000, 1) if latencies else None,
        "max_ms": round(max(latencies) * 1000, 1) if latencies else None,
        "handler_cpu_ms_per_confirmation": round(handler_cpu / max(1, len(committed)) * 1000, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    result = measure(args.rate, args.seconds)
    result["cpus"] = os.cpu_count()
    result["load_average_1m"] = os.getloadavg()[0]
    result["measured_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    print(
        f"{result['accepted']}/{result['mails']} confirmations at {result['rate_achieved']}/s "
        f"(asked {args.rate}/s): handler commit -> SMTP accepted p50 {result['p50_ms']} ms, "
        f"p99 {result['p99_ms']} ms, max {result['max_ms']} ms; handler CPU "
        f"{result['handler_cpu_ms_per_confirmation']} ms per confirmation; "
        f"load average {result['load_average_1m']:.1f}"
    )
    RESULTS.mkdir(exist_ok=True)
    name = f"notify_latency-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}.json"
    (RESULTS / name).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
