"""Registration rush: many clients register for one session at once, against gunicorn + PostgreSQL.

Starts `todo serve registration` on a fresh PostgreSQL database and a free port, loads one
session, and drives it with wrk (a Lua script makes every request's email unique). Prints
throughput, latency percentiles and the overbooking check (seated tickets vs capacity), and
writes the figures as JSON under bench/results/. With --profile, py-spy samples the gunicorn
workers during the run and the hottest functions are printed.

    .venv/bin/python -m bench.registration_rush [--connections 256] [--seconds 20]
        [--capacity 5000] [--workers 2] [--threads 8] [--profile]

Needs wrk (`apt-get install -y wrk`) and, for --profile, py-spy (`pip install py-spy`).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from bench.common import (
    WRK_REPORT_LUA,
    cpu_seconds,
    cpu_since,
    database_backend_pids,
    free_port,
    tree_pids,
)
from harness.infra import create_pg_database, drop_pg_database, migrated_database
from services.registration.models import Seat, Ticket
from services.registration.models.ticket import SEATED
from services.registration.programme import apply_release
from services.registration.settings import Links, RegistrationSettings

RESULTS = Path(__file__).parent / "results"
EVENT = "rush"
SESSION_ID = 1

WRK_SCRIPT = r"""
local counter = 0
local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  run = args[1]
end

function request()
  counter = counter + 1
  local body = string.format(
    '{"name":"Rush %d-%d","email":"r%s-%d-%d@example.org","sessions":[%s],"locale":"de","consent":true}',
    tid, counter, run, tid, counter, SESSION)
  return wrk.format("POST", PATH, {["Content-Type"] = "application/json"}, body)
end

"""


def load_programme(db, capacity: int) -> None:
    starts = datetime.now(UTC) + timedelta(days=7)
    data = {
        "event": {
            "slug": EVENT,
            "title": "Rush",
            "timezone": "Europe/Berlin",
            "starts_on": starts.date(),
            "ends_on": starts.date(),
        },
        "release": {"number": 1, "published_at": datetime.now(UTC)},
        "sessions": [
            {
                "id": SESSION_ID,
                "guid": "rush-1",
                "title": "The rush",
                "starts_at": starts,
                "ends_at": starts + timedelta(hours=1),
                "stage": {"guid": "stage", "name": "Stage"},
                "registration": {"mode": "required", "capacity": capacity},
                "status": "scheduled",
            }
        ],
    }
    links = Links("http://127.0.0.1", "http://127.0.0.1", "bench")
    with db.transaction() as session:
        apply_release(session, data, links, RegistrationSettings())


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


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is not None:
        return
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def stored_counts(db, capacity: int) -> dict:
    with db.transaction() as session:
        by_status = dict(
            session.execute(
                select(Ticket.status, func.count())
                .where(Ticket.session_id == SESSION_ID)
                .group_by(Ticket.status)
            ).all()
        )
        seats_taken = session.scalar(
            select(func.count(Seat.ticket_id)).where(Seat.session_id == SESSION_ID)
        )
        seated = session.scalar(
            select(func.count())
            .select_from(Ticket)
            .where(Ticket.session_id == SESSION_ID, Ticket.status.in_(SEATED))
        )
        free_seats = session.scalar(
            select(func.count())
            .select_from(Seat)
            .where(Seat.session_id == SESSION_ID, Seat.ticket_id.is_(None))
        )
    return {
        "by_status": by_status,
        "seated": seated,
        "seats_taken": seats_taken,
        "capacity": capacity,
        "overbooked": max(0, seated - capacity),
        "seat_rows_match_tickets": seats_taken == seated,
        "free_seats_while_waiting": free_seats if by_status.get("waitlisted") else 0,
    }


def top_frames(raw_profile: Path, limit: int = 25) -> list[tuple[str, float]]:
    """Self time and inclusive time per function from py-spy's collapsed stacks."""
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw_profile.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [re.sub(r" \(.*?/site-packages/", " (", f) for f in stack.split(";")]
        own[frames[-1]] += n
        for frame in set(frames):
            inclusive[frame] += n
    total = total or 1
    return (
        [(f, round(100 * n / total, 1)) for f, n in own.most_common(limit)],
        [(f, round(100 * n / total, 1)) for f, n in inclusive.most_common(limit * 2)],
    )


SEAT_ROW_TX = """
\\set n random(1, 2000000000)
BEGIN;
WITH a AS (
  INSERT INTO attendees (event_id, name, email, locale, consent_at, consent_version,
                         manage_token, feed_token, created_at)
  VALUES (1, 'Rush', 'sql-' || :client_id || '-' || :n || '@example.org', 'de', now(), 'v',
          md5(random()::text), md5(random()::text), now())
  RETURNING id),
t AS (
  INSERT INTO tickets (attendee_id, session_id, status, code, requested_at)
  SELECT id, 1, 'confirmed', md5(random()::text), now() FROM a RETURNING id)
SELECT id AS ticket FROM t \\gset
UPDATE seats SET ticket_id = :ticket WHERE id = (
  SELECT id FROM seats WHERE session_id = 1 AND ticket_id IS NULL
  ORDER BY number LIMIT 1 FOR UPDATE SKIP LOCKED);
INSERT INTO outbox (message_id, routing_key, aggregate, body, created_at, attempts)
VALUES (gen_random_uuid()::text, 'registration.ticket.confirmed', 'attendee', repeat('x', 700),
        now(), 0);
END;
"""
# The design DESIGN.md warns about: one counter row per session, locked through the commit.
HOT_ROW_TX = SEAT_ROW_TX.replace(
    """UPDATE seats SET ticket_id = :ticket WHERE id = (
  SELECT id FROM seats WHERE session_id = 1 AND ticket_id IS NULL
  ORDER BY number LIMIT 1 FOR UPDATE SKIP LOCKED);""",
    "UPDATE bench_seat_counter SET taken = taken + 1 WHERE session_id = 1 AND taken < capacity;",
)


def pgbench(url: str, script: str, clients: int, seconds: int) -> float:
    """Transactions per second pgbench reaches with `script` on the registration schema."""
    path = Path(tempfile.mkdtemp(prefix="rush-sql-")) / "tx.sql"
    path.write_text(script)
    libpq_url = url.replace("postgresql+psycopg://", "postgresql://")
    out = subprocess.run(
        [
            "pgbench",
            "-n",
            "-c",
            str(clients),
            "-j",
            "2",
            "-T",
            str(seconds),
            "-f",
            str(path),
            libpq_url,
        ],
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        raise RuntimeError(f"pgbench with {clients} clients failed: {out.stderr.strip()[-300:]}")
    return float(re.search(r"tps = ([0-9.]+)", out.stdout).group(1))


def run_sql_only(args) -> dict:
    """The seat transaction alone, without Python: seat rows vs one hot counter row."""
    url = create_pg_database("bench_reg_sql")
    db = migrated_database("registration", url)
    load_programme(db, args.capacity)
    with db.engine.begin() as connection:
        connection.exec_driver_sql(
            "CREATE TABLE bench_seat_counter (session_id int primary key, taken int, capacity int)"
        )
        connection.exec_driver_sql(f"INSERT INTO bench_seat_counter VALUES (1, 0, {10**9})")
    figures = {}
    try:
        # PostgreSQL here allows 100 connections, shared with everyone else.
        for clients in (4, 16, 64):
            figures[clients] = {
                "seat_rows_tps": pgbench(url, SEAT_ROW_TX, clients, args.seconds),
                "hot_row_tps": pgbench(url, HOT_ROW_TX, clients, args.seconds),
            }
    finally:
        db.dispose()
        drop_pg_database(url)
    return {
        "benchmark": "registration_rush --sql",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "setup": {"seconds_per_run": args.seconds, "capacity": args.capacity},
        "transactions_per_second_by_clients": figures,
    }


def run(args) -> dict:
    url = create_pg_database("bench_reg")
    db = migrated_database("registration", url)
    load_programme(db, args.capacity)
    port = free_port()
    env = {
        **os.environ,
        "REGISTRATION_DATABASE_URL": url,
        "REGISTRATION_PORT": str(port),
        "WEB_WORKERS": str(args.workers),
        "WEB_THREADS": str(args.threads),
        "LOG_LEVEL": "WARNING",
        "REGISTRATION_RATE_LIMIT_PER_IP": "10000000/minute",
        "REGISTRATION_RATE_LIMIT_PER_EMAIL": "1000/minute",
    }
    todo = str(Path(sys.executable).with_name("todo"))
    server = subprocess.Popen([todo, "serve", "registration"], env=env)
    tmp = Path(tempfile.mkdtemp(prefix="rush-"))
    profiler = None
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_up(f"{base}/healthz")
        # Warm every worker's connection pool and imports before measuring.
        subprocess.run(
            ["wrk", "-t2", "-c32", "-d2s", f"{base}/api/v1/events/{EVENT}/sessions/1/availability"],
            capture_output=True,
        )
        script = tmp / "rush.lua"
        path = f"/api/v1/events/{EVENT}/registrations"
        script.write_text(
            f'PATH = "{path}"\nSESSION = {SESSION_ID}\n' + WRK_SCRIPT + WRK_REPORT_LUA
        )
        if args.profile:
            profiler = subprocess.Popen(
                [
                    str(Path(sys.executable).with_name("py-spy")),
                    "record",
                    "--pid",
                    str(server.pid),
                    "--subprocesses",
                    # Only threads holding the GIL: where the CPU goes, not where threads wait.
                    "--gil",
                    "--format",
                    "raw",
                    "--duration",
                    str(max(args.seconds - 2, 1)),
                    "--rate",
                    "200",
                    "--nonblocking",
                    "--output",
                    str(tmp / "profile.txt"),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        # CPU per registration of the web workers and of their PostgreSQL backends tells what
        # an idle machine could do, whatever else shares the cores during the run.
        load_before = os.getloadavg()[0]
        web_before = cpu_seconds(tree_pids([server.pid]))
        db_before = cpu_seconds(database_backend_pids(db.engine, [db.engine.url.database]))
        started = time.monotonic()
        wrk = subprocess.run(
            [
                "wrk",
                f"-t{args.wrk_threads}",
                f"-c{args.connections}",
                f"-d{args.seconds}s",
                "--timeout",
                "10s",
                "--latency",
                "-s",
                str(script),
                base,
                "--",
                str(int(started)),
            ],
            capture_output=True,
            text=True,
        )
        if profiler is not None:
            try:
                profiler.wait(timeout=120)
            except subprocess.TimeoutExpired:
                profiler.terminate()
                profiler.wait()
        match = re.search(r"WRK_RESULT (\{.*\})", wrk.stdout)
        if match is None:
            raise RuntimeError(f"wrk gave no result:\n{wrk.stdout}\n{wrk.stderr}")
        figures = json.loads(match.group(1))
        web_cpu = cpu_since(web_before, tree_pids([server.pid]))
        db_cpu = cpu_since(db_before, database_backend_pids(db.engine, [db.engine.url.database]))
        # Requests wrk gave up on may still be running: let gunicorn finish them first.
        stop_server(server)
        counts = stored_counts(db, args.capacity)
        seconds = figures["duration_us"] / 1e6
        created = sum(counts["by_status"].values())
        result = {
            "benchmark": "registration_rush",
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            # Other work on the machine during the run (1-minute load average, before / after).
            "machine": {
                "cpus": os.cpu_count(),
                "load_average": [round(load_before, 1), round(os.getloadavg()[0], 1)],
            },
            "setup": {
                "connections": args.connections,
                "seconds": args.seconds,
                "capacity": args.capacity,
                "web_workers": args.workers,
                "web_threads": args.threads,
                "wrk_threads": args.wrk_threads,
            },
            "requests": figures["requests"],
            "non_2xx": figures["errors_status"],
            "socket_errors": {
                k: figures[k]
                for k in ("errors_connect", "errors_read", "errors_write", "errors_timeout")
            },
            "requests_per_second": round(figures["requests"] / seconds, 1),
            "registrations_stored": created,
            "registrations_per_second": round(created / seconds, 1),
            "latency_ms": {
                p: round(figures[f"latency_{p}_us"] / 1000, 1) for p in ("p50", "p90", "p99", "max")
            },
            "cpu_ms_per_registration": {
                "web": round(1000 * web_cpu / max(created, 1), 2),
                "postgresql": round(1000 * db_cpu / max(created, 1), 2),
            },
            "seats": counts,
        }
        per_registration = (web_cpu + db_cpu) / max(created, 1)
        # What the machine's cores could serve if this run had them to itself (wrk excluded).
        result["registrations_per_second_on_idle_cores"] = round(
            (os.cpu_count() or 1) / per_registration, 1
        )
        if args.profile and (tmp / "profile.txt").exists():
            own, inclusive = top_frames(tmp / "profile.txt")
            result["profile"] = {"self_percent": own, "inclusive_percent": inclusive}
        return result
    finally:
        stop_server(server)
        db.dispose()
        if not args.keep_database:
            drop_pg_database(url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=256)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--capacity", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--keep-database", action="store_true")
    parser.add_argument(
        "--sql", action="store_true", help="only the seat transaction, by pgbench, vs a hot row"
    )
    args = parser.parse_args()
    if args.sql:
        result = run_sql_only(args)
        RESULTS.mkdir(exist_ok=True)
        out = RESULTS / f"registration_rush_sql-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
        out.write_text(json.dumps(result, indent=2, default=str))
        print(json.dumps(result, indent=2, default=str))
        return
    result = run(args)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"registration_rush-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.write_text(json.dumps(result, indent=2, default=str))
    profile = result.pop("profile", None)
    print(json.dumps(result, indent=2, default=str))
    if profile:
        print("\nhottest functions (self time, % of samples):")
        for frame, percent in profile["self_percent"]:
            print(f"  {percent:5.1f}  {frame}")
    seats = result["seats"]
    print(
        f"\n{result['registrations_per_second']} registrations/s "
        f"(CPU per registration: {result['cpu_ms_per_registration']} ms, so about "
        f"{result['registrations_per_second_on_idle_cores']}/s on idle cores), "
        f"p50 {result['latency_ms']['p50']} ms, p99 {result['latency_ms']['p99']} ms, "
        f"{seats['seated']} seated of {seats['capacity']} seats, overbooked {seats['overbooked']}, "
        f"load average {result['machine']['load_average']}"
        f"\nwritten to {out}"
    )


if __name__ == "__main__":
    main()
