"""Outbox latency: from the commit of a change to its consumer's handler running.

A producer commits one outbox message per transaction at a steady rate; the relay runs as its
own process (`todo relay schedule`), exactly as `make run` starts it; a consumer (the real
`ConsumerRunner`) runs in this process and notes when each message reaches its handler.
Run against PostgreSQL (LISTEN/NOTIFY wake-up) and SQLite (polling).

    .venv/bin/python -m bench.outbox_latency [--rate 200] [--seconds 10] [--backend postgresql]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness.bus import running
from harness.infra import (
    create_pg_database,
    create_vhost,
    delete_vhost,
    drop_pg_database,
    migrated_database,
)
from services.registration.models import ProcessedMessage
from services.schedule.models import OutboxMessage
from shared.consumer import ConsumerRunner
from shared.outbox import add_message
from shared.topology import QueueSpec

RESULTS = Path(__file__).parent / "results"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def measure(backend: str, rate: float, seconds: float) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="outbox-bench-"))
    if backend == "postgresql":
        producer_url, consumer_url = create_pg_database("b_sched"), create_pg_database("b_reg")
    else:
        producer_url, consumer_url = f"sqlite:///{tmp}/schedule.db", f"sqlite:///{tmp}/reg.db"
    producer = migrated_database("schedule", producer_url)
    consumer_db = migrated_database("registration", consumer_url)
    vhost, amqp_url = create_vhost()
    committed: dict[str, float] = {}
    arrived: dict[str, float] = {}
    queue = QueueSpec("bench.latency", ("schedule.live.updated",))

    def handler(_session, envelope):
        arrived.setdefault(envelope.id, time.monotonic())

    consumer = ConsumerRunner(
        consumer_db, ProcessedMessage, amqp_url, {queue: {"schedule.live.updated": handler}}
    )
    env = {**os.environ, "SCHEDULE_DATABASE_URL": producer_url, "AMQP_URL": amqp_url}
    relay = subprocess.Popen(
        [sys.executable, "-m", "shared.cli", "relay", "schedule"],
        env=env,
        stderr=subprocess.DEVNULL,
    )
    try:
        with running(consumer):
            time.sleep(2)  # relay and consumer connected, queues declared
            total = int(rate * seconds)
            start = time.monotonic()
            for n in range(total):
                time.sleep(max(0.0, start + n / rate - time.monotonic()))
                with producer.transaction() as session:
                    row = add_message(
                        session,
                        OutboxMessage,
                        "schedule.live.updated",
                        {"event": "bench", "stage": "main", "session": n, "status": "on_air"},
                        aggregate=f"stage-{n % 4}",
                    )
                committed[row.message_id] = time.monotonic()
            deadline = time.monotonic() + 30
            while len(arrived) < total and time.monotonic() < deadline:
                time.sleep(0.05)
    finally:
        relay.terminate()
        relay.wait(timeout=20)
        producer.dispose()
        consumer_db.dispose()
        delete_vhost(vhost)
        if backend == "postgresql":
            drop_pg_database(producer_url)
            drop_pg_database(consumer_url)
    latencies = [(arrived[i] - committed[i]) * 1000 for i in committed if i in arrived]
    return {
        "backend": backend,
        "rate_per_s": rate,
        "messages": len(committed),
        "delivered": len(latencies),
        "p50_ms": round(statistics.median(latencies), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
        "max_ms": round(max(latencies), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument(
        "--backend", choices=("postgresql", "sqlite", "both"), default="both", help="database"
    )
    args = parser.parse_args()
    backends = ("postgresql", "sqlite") if args.backend == "both" else (args.backend,)
    results = [measure(backend, args.rate, args.seconds) for backend in backends]
    print(
        f"{'backend':<12}{'rate/s':>8}{'sent':>7}{'got':>7}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}"
    )
    for r in results:
        print(
            f"{r['backend']:<12}{r['rate_per_s']:>8.0f}{r['messages']:>7}{r['delivered']:>7}"
            f"{r['p50_ms']:>9}{r['p99_ms']:>9}{r['max_ms']:>9}"
        )
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"outbox_latency-{time.strftime('%Y%m%dT%H%M%S')}.json"
    out.write_text(json.dumps(results, indent=2))
    print(f"written {out}")


if __name__ == "__main__":
    main()
