"""The programme feed over HTTP: requests/s for 200 and for 304 answers, measured with wrk
against `todo serve notify` (gunicorn, as `make run` starts it) on PostgreSQL.

    .venv/bin/python -m bench.notify_feed [--seconds 10] [--connections 64] [--sessions 40]

Needs `wrk` (apt-get install -y wrk).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta

from bench.common import free_port, require_wrk, run_wrk, write_result
from harness.infra import create_pg_database, drop_pg_database, migrated_database
from services.notify.handlers import HANDLERS, dependencies
from services.notify.models import ProcessedMessage
from services.notify.settings import NotifySettings
from shared.config import Config
from shared.consumer import bind_handlers, handle_once
from shared.messages import build_envelope, parse_envelope


def programme(sessions: int) -> dict:
    first = datetime(2024, 4, 29, 10, tzinfo=UTC)
    return {
        "event": {
            "slug": "bench",
            "title": "to:DO – Dortmunds neue Arbeit",
            "timezone": "Europe/Berlin",
            "starts_on": "2024-04-29",
            "ends_on": "2024-05-03",
        },
        "release": {"number": 1, "published_at": "2024-04-01T12:00:00+00:00"},
        "sessions": [
            {
                "id": n,
                "guid": f"bench-{n}",
                "title": f"Session {n}: Arbeit in der Stadt von morgen",
                "abstract": "Wie verändern Demografie, Digitalisierung, Dekarbonisierung und "
                "Deglobalisierung die Arbeit in Dortmund? " * 3,
                "starts_at": (first + timedelta(days=n % 5, hours=n % 8)).isoformat(),
                "ends_at": (first + timedelta(days=n % 5, hours=n % 8, minutes=50)).isoformat(),
                "stage": {"guid": "s", "name": "Baseology", "address": "Kampstraße 1, Dortmund"},
                "tracks": [{"slug": "digitalisierung", "name": "Digitalisierung"}],
                "speakers": [{"name": "Eva Beispiel", "organisation": "adesso"}],
                "livestream_url": "https://todo-dortmund.de/live",
                "registration": {"mode": "required", "capacity": 40},
                "status": "scheduled",
            }
            for n in range(1, sessions + 1)
        ],
    }


def measure(seconds: int, connections: int, sessions: int) -> dict:
    """Serve a programme feed of `sessions` and measure 200 and 304 answers."""
    require_wrk()
    url = create_pg_database("b_feed")
    db = migrated_database("notify", url)
    port = free_port()
    config = Config.from_env({"NOTIFY_DATABASE_URL": url})
    handlers = bind_handlers(HANDLERS, dependencies(config, NotifySettings()))
    spec = next(s for s in handlers if s.name == "notify.programme")
    envelope = parse_envelope(
        build_envelope("schedule.release.published", programme(sessions), None).to_json()
    )
    handle_once(db, ProcessedMessage, spec.name, envelope, handlers[spec][envelope.type])
    env = {
        **os.environ,
        "NOTIFY_DATABASE_URL": url,
        "NOTIFY_PORT": str(port),
        "LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen([sys.executable, "-m", "shared.cli", "serve", "notify"], env=env)
    feed_url = f"http://127.0.0.1:{port}/bench/calendar.ics"
    try:
        for _ in range(100):
            try:
                with urllib.request.urlopen(feed_url) as response:
                    etag, size = response.headers["ETag"], len(response.read())
                break
            except OSError:
                time.sleep(0.2)
        else:
            sys.exit("notify did not start")
        # Both gunicorn workers up and their caches warm before measuring.
        time.sleep(3)
        run_wrk(feed_url, 2, connections)
        ok = run_wrk(feed_url, seconds, connections)
        not_modified = run_wrk(feed_url, seconds, connections, headers={"If-None-Match": etag})
    finally:
        server.terminate()
        server.wait(timeout=30)
        db.dispose()
        drop_pg_database(url)
    result = {
        "feed_bytes": size,
        "sessions": sessions,
        "connections": connections,
        "web_workers": config.web_workers,
        "web_threads": config.web_threads,
        "status_200": ok,
        "status_304": not_modified,
        "cpus": os.cpu_count(),
        "load_average_1m": os.getloadavg()[0],
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--sessions", type=int, default=40)
    args = parser.parse_args()
    result = measure(args.seconds, args.connections, args.sessions)
    ok, not_modified, size = result["status_200"], result["status_304"], result["feed_bytes"]
    print(
        f"programme feed ({size} bytes): {ok['requests_per_s']:.0f} req/s with 200 "
        f"(p99 {ok['p99_ms']} ms), {not_modified['requests_per_s']:.0f} req/s with 304 "
        f"(p99 {not_modified['p99_ms']} ms); load average {result['load_average_1m']:.1f}"
    )
    print(f"written to {write_result('notify_feed', result)}")


if __name__ == "__main__":
    main()
