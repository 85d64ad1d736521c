"""Schedule reads: the programme API and schedule.xml under load, 200 and 304 answers.

Starts `todo serve schedule` (gunicorn) on a fresh PostgreSQL database and a free port,
publishes a generated programme of 500 sessions, and drives each read with wrk: a plain GET
(200, the stored bytes), the same with `Accept-Encoding: gzip` (200, the compressed bytes) and a
conditional GET with the current ETag (304). Prints requests/s and
latency percentiles, and writes the figures as JSON under bench/results/.

    .venv/bin/python -m bench.schedule_reads [--sessions 500] [--seconds 10]
        [--connections 32] [--workers 2] [--threads 8]

Needs wrk (`apt-get install -y wrk`).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bench.common import WRK_REPORT_LUA, free_port
from harness.infra import create_pg_database, drop_pg_database, migrated_database
from services.schedule.draft import find_event
from services.schedule.importer import import_programme
from services.schedule.programme_format import load_programme_document
from services.schedule.releases import publish_release

RESULTS = Path(__file__).parent / "results"
EVENT = "bench"
BERLIN = ZoneInfo("Europe/Berlin")


def generated_programme(count: int) -> dict:
    """`count` sessions of 30 minutes on 5 stages over 5 days, 08:00 onwards."""
    stages = [
        {"guid": f"stage-{n}", "name": f"Bühne {n}", "capacity": 100, "stream_url": ""}
        for n in range(5)
    ]
    tracks = [{"slug": f"track-{n}", "name": f"Track {n}", "color": "#123456"} for n in range(4)]
    first_day = datetime(2024, 4, 29, 8, 0, tzinfo=BERLIN)
    per_day = -(-count // (len(stages) * 5))
    sessions = []
    for n in range(count):
        stage, rest = n % len(stages), n // len(stages)
        day, slot = rest // per_day, rest % per_day
        starts = first_day + timedelta(days=day, minutes=30 * slot)
        sessions.append(
            {
                "guid": f"session-{n:04d}",
                "title": f"Session {n}: Die Zukunft der Arbeit im Ruhrgebiet",
                "title_en": f"Session {n}: the future of work in the Ruhr",
                "abstract": "Ein Gespräch über Fachkräfte, Weiterbildung und Wandel. " * 4,
                "type": "talk",
                "tracks": [f"track-{n % 4}"],
                "stage": f"stage-{stage}",
                "starts_at": starts.isoformat(),
                "ends_at": (starts + timedelta(minutes=30)).isoformat(),
                "speakers": [
                    {"name": f"Person {n}", "organisation": "Beispiel GmbH", "role": "CEO"},
                    {"name": f"Person {n + 1}", "organisation": "Stadt", "role": ""},
                ],
                "streamed": stage == 0,
                "registration": {"mode": "required"},
            }
        )
    return {
        "format": "todo-programme/1",
        "event": {
            "slug": EVENT,
            "title": "Benchmark",
            "starts_on": "2024-04-29",
            "ends_on": "2024-05-03",
        },
        "stages": stages,
        "tracks": tracks,
        "sessions": sessions,
    }


def wait_until_up(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up in {timeout} s")


def fetch(url: str, headers: dict[str, str]) -> tuple[str, int]:
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.headers["ETag"], len(response.read())


def run_wrk(url: str, script: str, args, headers: dict[str, str]) -> dict:
    command = ["wrk", f"-t{args.wrk_threads}", f"-c{args.connections}", f"-d{args.seconds}s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    result = subprocess.run(
        [*command, "-s", script, url], capture_output=True, text=True, check=True
    )
    match = re.search(r"WRK_RESULT (\{.*\})", result.stdout)
    if match is None:
        raise RuntimeError(f"wrk gave no result:\n{result.stdout}\n{result.stderr}")
    raw = json.loads(match.group(1))
    seconds = raw["duration_us"] / 1e6
    return {
        "requests": raw["requests"],
        "requests_per_s": round(raw["requests"] / seconds, 1),
        "p50_ms": raw["latency_p50_us"] / 1000,
        "p99_ms": raw["latency_p99_us"] / 1000,
        "max_ms": raw["latency_max_us"] / 1000,
        "non_2xx_3xx": raw["errors_status"],
        "socket_errors": sum(
            raw[k] for k in raw if k.startswith("errors_") and k != "errors_status"
        ),
    }


def measure(args) -> list[dict]:
    """Publish the generated programme, serve it and measure each read; one row per read."""
    url = create_pg_database("bench_schedule")
    db = migrated_database("schedule", url)
    server = None
    try:
        with db.transaction() as session:
            import_programme(session, load_programme_document(generated_programme(args.sessions)))
            publish_release(session, find_event(session, EVENT), "benchmark")
        db.dispose()

        port = free_port()
        env = {
            **os.environ,
            "SCHEDULE_DATABASE_URL": url,
            "SCHEDULE_PORT": str(port),
            "WEB_WORKERS": str(args.workers),
            "WEB_THREADS": str(args.threads),
            "LOG_LEVEL": "WARNING",
        }
        todo = str(Path(sys.executable).with_name("todo"))
        server = subprocess.Popen([todo, "serve", "schedule"], env=env, start_new_session=True)
        base = f"http://127.0.0.1:{port}"
        wait_until_up(f"{base}/healthz")

        targets = {
            "programme API": f"{base}/api/v1/events/{EVENT}/programme",
            "schedule.xml": f"{base}/{EVENT}/schedule.xml",
        }
        rows = []
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(WRK_REPORT_LUA)
        gzip = {"Accept-Encoding": "gzip"}
        warm_up = argparse.Namespace(**{**vars(args), "seconds": 2})
        for name, target in targets.items():
            etag, size = fetch(target, {})
            _, gzip_size = fetch(target, gzip)
            # Warm up: every worker caches the stored (and compressed) bytes on first use.
            run_wrk(target, script.name, warm_up, {})
            run_wrk(target, script.name, warm_up, gzip)
            for answer, headers, body_bytes in (
                ("200", {}, size),
                ("200 gzip", gzip, gzip_size),
                ("304", {"If-None-Match": etag}, 0),
            ):
                figures = run_wrk(target, script.name, args, headers)
                rows.append({"read": name, "answer": answer, "body_bytes": body_bytes} | figures)
        os.unlink(script.name)
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        db.dispose()
        drop_pg_database(url)

    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=500)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    rows = measure(args)

    print(
        f"\nschedule reads: {args.sessions} sessions, gunicorn {args.workers} workers x "
        f"{args.threads} threads, wrk {args.connections} connections, {args.seconds} s each, "
        f"{os.cpu_count()} CPUs (shared machine: indicative)\n"
    )
    print(
        f"{'read':<15} {'answer':<9} {'bytes':>8} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'errors':>7}"
    )
    for row in rows:
        errors = row["non_2xx_3xx"] + row["socket_errors"]
        print(
            f"{row['read']:<15} {row['answer']:<9} {row['body_bytes']:>8} "
            f"{row['requests_per_s']:>9.0f} "
            f"{row['p50_ms']:>8.2f} {row['p99_ms']:>8.2f} {errors:>7}"
        )
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    out = RESULTS / f"schedule_reads-{stamp}.json"
    out.write_text(
        json.dumps(
            {
                "benchmark": "schedule_reads",
                "at": datetime.now(UTC).isoformat(),
                "settings": vars(args) | {"cpus": os.cpu_count()},
                "results": rows,
            },
            indent=2,
        )
    )
    print(f"\nwritten to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
