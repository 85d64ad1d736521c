"""Registration to mail on the whole platform: availability reads/s, registration-to-mail latency
at a steady rate, and each service's memory under load.

Starts every process as `make run` does (gunicorn, relays, consumers, mail sender) on fresh
PostgreSQL databases, a private RabbitMQ vhost and an aiosmtpd server, publishes a session, then
1. reads its availability with wrk (requests/s);
2. registers at a steady `--rate` for `--seconds` and measures, per attendee, the time from the
   201 answer (the registration's commit happens just before) to the confirmation mail accepted
   by the SMTP server: p50/p99, mails missing, mails doubled;
3. puts all three services under read load at once (availability, programme, feed) for a few
   seconds; the peak resident memory (RSS summed over each service's processes) over the whole
   run is reported.

    .venv/bin/python -m bench.registration_mail [--rate 200] [--seconds 20]
"""

from __future__ import annotations

import argparse
import queue
import threading
import time

from bench.common import (
    MemorySampler,
    load_average,
    percentile,
    run_wrk,
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


def measure(rate: float, seconds: float, read_seconds: float) -> dict:
    with platform_running() as platform:
        [session_id] = platform.publish_programme(capacity=5000)
        availability = platform.availability_url(session_id)
        with MemorySampler(platform.service_pids()) as memory:
            run_wrk(availability, 2, connections=32)  # warm-up
            reads = run_wrk(availability, read_seconds, connections=64)

            answers = steady_registrations(platform, session_id, rate, seconds, "steady")
            ok = {email: at for email, (status, at) in answers.items() if status == 201}
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if set(ok) <= set(platform.smtp.first_accepted_at()):
                    break
                time.sleep(0.1)
            accepted = platform.smtp.first_accepted_at()
            per_recipient = platform.smtp.per_recipient()

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
        latencies = [(accepted[e] - at) * 1000 for e, at in ok.items() if e in accepted]
    return {
        "benchmark": "registration_mail",
        "load_average_1m": load_average(),
        "availability_reads": reads,
        "steady": {
            "rate_per_s": rate,
            "seconds": seconds,
            "registrations": len(answers),
            "answered_201": len(ok),
            "other_answers": len(answers) - len(ok),
            "mails_accepted": sum(per_recipient[e] for e in ok),
            "mails_missing": sum(1 for e in ok if e not in accepted),
            "mails_doubled": sum(1 for e in ok if per_recipient[e] > 1),
            "latency_p50_ms": round(percentile(latencies, 50), 1) if latencies else None,
            "latency_p99_ms": round(percentile(latencies, 99), 1) if latencies else None,
            "latency_max_ms": round(max(latencies), 1) if latencies else None,
        },
        "peak_rss_mb": memory.peak_mb,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--read-seconds", type=float, default=10)
    args = parser.parse_args()
    result = measure(args.rate, args.seconds, args.read_seconds)
    steady, reads = result["steady"], result["availability_reads"]
    print(
        f"availability: {reads['requests_per_s']:.0f} reads/s (p99 {reads['p99_ms']} ms)\n"
        f"registration -> mail at {steady['rate_per_s']:.0f}/s: p50 {steady['latency_p50_ms']} ms,"
        f" p99 {steady['latency_p99_ms']} ms; {steady['answered_201']} registered, "
        f"{steady['mails_missing']} mails missing, {steady['mails_doubled']} doubled\n"
        f"peak RSS MB: {result['peak_rss_mb']}; load average {result['load_average_1m']}"
    )
    print(f"written to {write_result('registration_mail', result)}")


if __name__ == "__main__":
    main()
