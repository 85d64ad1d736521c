"""Registration to mail on the whole platform: availability reads/s, registration-to-mail latency
at a steady rate, and each service's memory under load.

Starts every process as `make run` does (gunicorn, relays, consumers, mail sender) on fresh
PostgreSQL databases, a private RabbitMQ vhost and an aiosmtpd server, publishes a session, then
1. reads its availability with wrk (requests/s);
2. registers at each steady `--rates` for `--seconds` and measures, per attendee, the time from
   the 201 answer (the registration's commit happens just before) to the confirmation mail
   accepted by the SMTP server: p50/p99, mails missing, mails doubled; and the CPU each process
   (and PostgreSQL, and this process: clients plus SMTP server) spent per registration, which
   says what rate two idle cores could sustain;
3. puts all three services under read load at once (availability, programme, feed) for a few
   seconds; the peak resident memory (RSS summed over each service's processes) over the whole
   run is reported.

    .venv/bin/python -m bench.registration_mail [--rates 200,25] [--seconds 20]
"""

from __future__ import annotations

import argparse
import os
import queue
import threading
import time

from bench.common import (
    MemorySampler,
    cpu_seconds,
    cpu_since,
    load_average,
    percentile,
    run_wrk,
    tree_pids,
    write_result,
)
from bench.platform import EVENT, Platform, platform_running


def steady_registrations(
    platform: Platform, session_id: int, rate: float, seconds: float, prefix: str
) -> dict[str, tuple[int, float]]:
    """Register `rate` attendees per second for `seconds`; email -> (status, answered at)."""
    total = int(rate * seconds)
    jobs: queue.Queue = queue.Queue()
    answers: dict[str, tuple[int, float]] = {}
    lock = threading.Lock()

    def client() -> None:
        while (email := jobs.get()) is not None:
            status, _ = platform.register(email, [session_id])
            with lock:
                answers[email] = (status, time.monotonic())

    clients = [threading.Thread(target=client, daemon=True) for _ in range(48)]
    for thread in clients:
        thread.start()
    start = time.monotonic()
    for n in range(total):
        time.sleep(max(0.0, start + n / rate - time.monotonic()))
        jobs.put(f"{prefix}-{n}@example.org")
    for _ in clients:
        jobs.put(None)
    for thread in clients:
        thread.join(timeout=120)
    return answers


def steady_run(
    platform: Platform,
    session_id: int,
    rate: float,
    seconds: float,
    prefix: str,
    more_roots: dict[str, int] | None = None,
):
    """Registrations at `rate` for `seconds`, until every confirmation mail is in (or 120 s
    more have passed): latency from 201 to SMTP acceptance and CPU per registration.
    `more_roots` (name -> pid) are processes outside the platform whose CPU (with their
    children's) counts too, e.g. the nodes of a private broker."""
    roots = {name: process.pid for name, process in platform.stack.processes.items()}
    roots.update(more_roots or {})
    cpu_before = {name: cpu_seconds(tree_pids([pid])) for name, pid in roots.items()}
    database_before = cpu_seconds(platform.database_backend_pids())
    own_before = os.times()
    started = time.monotonic()
    answers = steady_registrations(platform, session_id, rate, seconds, prefix)
    ok = {email: at for email, (status, at) in answers.items() if status == 201}
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if set(ok) <= set(platform.smtp.first_accepted_at()):
            break
        time.sleep(0.1)
    own_after = os.times()
    cpu = {name: cpu_since(cpu_before[name], tree_pids([pid])) for name, pid in roots.items()}
    cpu["postgresql"] = cpu_since(database_before, platform.database_backend_pids())
    cpu["bench (clients, SMTP server)"] = (own_after.user + own_after.system) - (
        own_before.user + own_before.system
    )
    accepted = platform.smtp.first_accepted_at()
    per_recipient = platform.smtp.per_recipient()
    latencies = [(accepted[e] - at) * 1000 for e, at in ok.items() if e in accepted]
    per_registration = {
        name: round(1000 * used / max(1, len(ok)), 2) for name, used in cpu.items() if used > 0
    }
    total = sum(per_registration.values())
    return {
        "rate_per_s": rate,
        "seconds": seconds,
        "registrations": len(answers),
        "answered_201": len(ok),
        "other_answers": len(answers) - len(ok),
        # Below `rate_per_s` when the platform answered slower than the registrations came.
        "answered_201_per_s": round(len(ok) / (max(ok.values()) - started), 1) if ok else 0.0,
        "mails_accepted": sum(per_recipient[e] for e in ok),
        "mails_missing": sum(1 for e in ok if e not in accepted),
        "mails_doubled": sum(1 for e in ok if per_recipient[e] > 1),
        "latency_p50_ms": round(percentile(latencies, 50), 1) if latencies else None,
        "latency_p99_ms": round(percentile(latencies, 99), 1) if latencies else None,
        "latency_max_ms": round(max(latencies), 1) if latencies else None,
        "cpu_ms_per_registration": dict(sorted(per_registration.items(), key=lambda i: -i[1])),
        "cpu_ms_per_registration_total": round(total, 1),
        # The whole pipeline, bench included, on this machine's cores with nothing else running.
        "sustainable_per_s_on_idle_cores": round((os.cpu_count() or 1) * 1000 / total)
        if total
        else None,
    }


def measure(rates: list[float], seconds: float, read_seconds: float) -> dict:
    with platform_running() as platform:
        [session_id] = platform.publish_programme(capacity=10_000)
        availability = platform.availability_url(session_id)
        with MemorySampler(platform.service_pids()) as memory:
            run_wrk(availability, 2, connections=32)  # warm-up
            reads = run_wrk(availability, read_seconds, connections=64)
            steady = [
                steady_run(platform, session_id, rate, seconds, f"steady{n}")
                for n, rate in enumerate(rates)
            ]
            # Read load on every service at once, for the memory figures.
            targets = {
                "registration": availability,
                "schedule": f"{platform.url('schedule')}/api/v1/events/{EVENT}/programme",
                "notify": f"{platform.url('notify')}/{EVENT}/calendar.ics",
            }
            threads = [
                threading.Thread(target=run_wrk, args=(url, 5), kwargs={"connections": 16})
                for url in targets.values()
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
    return {
        "benchmark": "registration_mail",
        "load_average_1m": load_average(),
        "availability_reads": reads,
        "steady": steady,
        "peak_rss_mb": memory.peak_mb,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="200,25", help="registrations/s, one run each")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--read-seconds", type=float, default=10)
    args = parser.parse_args()
    rates = [float(rate) for rate in args.rates.split(",")]
    result = measure(rates, args.seconds, args.read_seconds)
    reads = result["availability_reads"]
    print(f"availability: {reads['requests_per_s']:.0f} reads/s (p99 {reads['p99_ms']} ms)")
    for steady in result["steady"]:
        print(
            f"registration -> mail at {steady['rate_per_s']:.0f}/s: p50 "
            f"{steady['latency_p50_ms']} ms, p99 {steady['latency_p99_ms']} ms; "
            f"{steady['answered_201']} registered, {steady['mails_missing']} mails missing, "
            f"{steady['mails_doubled']} doubled; CPU ms per registration "
            f"{steady['cpu_ms_per_registration']} (total "
            f"{steady['cpu_ms_per_registration_total']}, so about "
            f"{steady['sustainable_per_s_on_idle_cores']}/s on idle cores)"
        )
    print(f"peak RSS MB: {result['peak_rss_mb']}; load average {result['load_average_1m']}")
    print(f"written to {write_result('registration_mail', result)}")


if __name__ == "__main__":
    main()
