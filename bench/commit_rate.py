"""PostgreSQL's commit rate on this machine, measured with pgbench: what bounds the rush.

One transaction as a registration makes it: update a seat row + insert a ticket + insert an
outbox row. Measured with one hot row shared by every client (a per-session counter) and with
one row per client (seats spread over rows, as `FOR UPDATE SKIP LOCKED` spreads them), at 4, 16
and 64 clients, on a scratch database with durable commits (the server's settings).

    .venv/bin/python -m bench.commit_rate [--seconds 10] [--clients 4,16,64]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from harness.infra import create_pg_database, drop_pg_database

RESULTS = Path(__file__).parent / "results"

SETUP = """
CREATE TABLE seat (id int PRIMARY KEY, taken int NOT NULL DEFAULT 0);
INSERT INTO seat SELECT g, 0 FROM generate_series(1, 1000) g;
CREATE TABLE ticket (id bigserial PRIMARY KEY, seat int, email text, created timestamptz);
CREATE TABLE outbox (id bigserial PRIMARY KEY, body jsonb, created timestamptz);
"""

SCRIPTS = {
    "hot row": r"""
BEGIN;
UPDATE seat SET taken = taken + 1 WHERE id = 1;
INSERT INTO ticket (seat, email, created) VALUES (1, 'x' || :client_id || '@example.org', now());
INSERT INTO outbox (body, created) VALUES ('{"type": "registration.ticket.confirmed"}', now());
END;
""",
    "row per client": r"""
BEGIN;
UPDATE seat SET taken = taken + 1 WHERE id = :client_id + 1;
INSERT INTO ticket (seat, email, created) VALUES (:client_id + 1, 'x@example.org', now());
INSERT INTO outbox (body, created) VALUES ('{"type": "registration.ticket.confirmed"}', now());
END;
""",
    "inserts only": r"""
BEGIN;
INSERT INTO ticket (seat, email, created) VALUES (1, 'x@example.org', now());
INSERT INTO outbox (body, created) VALUES ('{"type": "registration.ticket.confirmed"}', now());
END;
""",
}


def pgbench(url, script: Path, clients: int, seconds: int) -> float:
    result = subprocess.run(
        [
            "pgbench",
            "-n",
            "-f",
            str(script),
            "-c",
            str(clients),
            "-j",
            str(min(clients, 4)),
            "-T",
            str(seconds),
            "-h",
            url.host or "127.0.0.1",
            "-p",
            str(url.port or 5432),
            "-U",
            url.username or "postgres",
            url.database,
        ],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PGPASSWORD": url.password or ""},
    )
    return float(re.search(r"tps = ([\d.]+)", result.stdout)[1])


def measure(seconds: int, clients: list[int]) -> dict:
    database = create_pg_database("b_commit")
    url = make_url(database)
    try:
        subprocess.run(
            [
                "psql",
                "-q",
                "-h",
                url.host or "127.0.0.1",
                "-p",
                str(url.port or 5432),
                "-U",
                url.username or "postgres",
                "-d",
                url.database,
                "-c",
                SETUP,
            ],
            check=True,
            capture_output=True,
            env={**os.environ, "PGPASSWORD": url.password or ""},
        )
        rows = []
        with tempfile.TemporaryDirectory() as tmp:
            for name, body in SCRIPTS.items():
                script = Path(tmp) / f"{name.replace(' ', '_')}.sql"
                script.write_text(body)
                for n in clients:
                    tps = pgbench(url, script, n, seconds)
                    rows.append({"transaction": name, "clients": n, "tps": round(tps)})
    finally:
        drop_pg_database(database)
    return {"rows": rows, "load_average_1m": round(os.getloadavg()[0], 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--clients", default="4,16,64")
    args = parser.parse_args()
    result = measure(args.seconds, [int(n) for n in args.clients.split(",")])
    print(f"{'transaction':<16}{'clients':>8}{'tps':>8}")
    for row in result["rows"]:
        print(f"{row['transaction']:<16}{row['clients']:>8}{row['tps']:>8}")
    print(f"load average {result['load_average_1m']}")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"commit_rate-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written to {out}")


if __name__ == "__main__":
    main()
