"""The programme feed over HTTP: requests/s for 200 and for 304 answers, measured with wrk
against `todo serve notify` (gunicorn, as `make run` starts it) on PostgreSQL.

    .venv/bin/python -m bench.notify_feed [--seconds 10] [--connections 64] [--sessions 40]

Needs `wrk` (apt-get install -y wrk).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

from services.notify.handlers import build_handlers
from services.notify.models import ProcessedMessage
from services.notify.settings import NotifySettings
from shared.config import Config
from shared.consumer import handle_once
from shared.messages import build_envelope, parse_envelope
from tests.support.infra import create_pg_database, drop_pg_database, migrated_database

RESULTS = Path(__file__).parent / "results"


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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wrk(url: str, seconds: int, connections: int, headers: dict[str, str]) -> dict:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "requests_per_second": float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1]),
        "latency_p50": re.search(r"50%\s+(\S+)", out)[1],
        "latency_p99": re.search(r"99%\s+(\S+)", out)[1],
        "errors": int(non_2xx[1]) if non_2xx else 0,
        "socket_errors": "Socket errors" in out,
    }


def measure(seconds: int, connections: int, sessions: int) -> dict:
    """Serve a programme feed of `sessions` and measure 200 and 304 answers."""
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install -y wrk")

    url = create_pg_database("b_feed")
    db = migrated_database("notify", url)
    port = free_port()
    config = Config.from_env({"NOTIFY_DATABASE_URL": url})
    handlers = build_handlers(config, NotifySettings())
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
        wrk(feed_url, 2, connections, {})
        ok = wrk(feed_url, seconds, connections, {})
        not_modified = wrk(feed_url, seconds, connections, {"If-None-Match": etag})
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
        f"programme feed ({size} bytes): {ok['requests_per_second']:.0f} req/s with 200 "
        f"(p99 {ok['latency_p99']}), {not_modified['requests_per_second']:.0f} req/s with 304 "
        f"(p99 {not_modified['latency_p99']}); load average {result['load_average_1m']:.1f}"
    )
    RESULTS.mkdir(exist_ok=True)
    name = f"notify_feed-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}.json"
    (RESULTS / name).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
