"""`make drill`: every fault drill, one table; `python -m drills fuzz` runs the long API fuzzing.

    .venv/bin/python -m drills [poison kill smtp broker postgres crash node web failover]
                               [--scale 1.0]
    .venv/bin/python -m drills fuzz [--requests 1500]

Drills run on private servers, never on the shared RabbitMQ and PostgreSQL: the first five on
one RabbitMQ node and one PostgreSQL server with one of every process; the last four on a
three-node RabbitMQ cluster with quorum queues, a PostgreSQL primary with a synchronous standby,
rate limits in Redis, and two of every process, the web services behind HAProxy
(drills/cluster.py).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import traceback
from datetime import UTC, datetime

from bench.common import RESULTS, load_average, write_result
from drills.cluster import CLUSTER_DRILLS, cluster_ground
from drills.scenarios import DRILLS, DrillResult, drill_ground
from harness.tools import DRILL_TOOLS
from harness.tools import main as ensure_tools

GROUNDS = (
    (DRILLS, drill_ground, "one RabbitMQ node, one PostgreSQL server"),
    (CLUSTER_DRILLS, cluster_ground, "3 RabbitMQ nodes, PostgreSQL primary + standby, HAProxy"),
)


def fuzz(requests: int) -> int:
    """Schemathesis against every service with the organiser token and every check but one (see
    tests/support/fuzzing.py): about `requests` generated requests per service, valid, invalid and
    odd (huge ids, lone surrogates, year 1 and 9999); operations without parameters give fewer,
    as Hypothesis stops when it has tried all."""
    report = RESULTS / f"fuzz-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    RESULTS.mkdir(exist_ok=True)
    env = {**os.environ, "FUZZ_REQUESTS_PER_SERVICE": str(requests), "FUZZ_REPORT": str(report)}
    code = subprocess.call(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "tests/fuzz", "-q", "-rA"],
        env=env,
    )
    if report.exists():
        print(f"generated requests per service: {json.loads(report.read_text())}")
    return code


def run_drills(drills, names, ground_running, servers: str, scale: float) -> list[DrillResult]:
    results = []
    started = time.monotonic()
    with ground_running() as ground:
        print(f"[drill] platform up on {servers} in {time.monotonic() - started:.0f} s", flush=True)
        for name in names:
            print(f"[drill] {name} ... (load average {load_average()})", flush=True)
            started = time.monotonic()
            try:
                result = drills[name](ground, scale)
            except Exception as exc:
                traceback.print_exc()
                result = DrillResult(name, problems=[f"drill failed: {type(exc).__name__}: {exc}"])
            result.counts["seconds"] = round(time.monotonic() - started, 1)
            result.counts["load_average"] = load_average()
            results.append(result)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    every = [*DRILLS, *CLUSTER_DRILLS]
    parser.add_argument("drills", nargs="*", help=f"fuzz, or some of: {', '.join(every)}")
    parser.add_argument("--scale", type=float, default=1.0, help="shorter drills below 1.0")
    parser.add_argument("--requests", type=int, default=1500, help="fuzz: requests per service")
    args = parser.parse_args()
    if args.drills == ["fuzz"]:
        return fuzz(args.requests)
    names = args.drills or every
    unknown = set(names) - set(every)
    if unknown:
        parser.error(f"unknown drills {sorted(unknown)}")
    if ensure_tools(DRILL_TOOLS):
        return 1
    results: list[DrillResult] = []
    for drills, ground_running, servers in GROUNDS:
        chosen = [name for name in drills if name in names]
        if chosen:
            results += run_drills(drills, chosen, ground_running, servers, args.scale)
    print(f"\nmake drill: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs\n")
    for result in results:
        print(f"{result.name}\n  {json.dumps(result.counts)}")
        for note in result.notes:
            print(f"  note: {note}")
        print(f"  => {result.verdict}\n")
    path = write_result(
        "drill",
        [
            {"name": r.name, "counts": r.counts, "verdict": r.verdict, "notes": r.notes}
            for r in results
        ],
    )
    print(f"written to {path.relative_to(RESULTS.parent.parent)}")
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
