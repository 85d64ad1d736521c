"""`make bench`: every benchmark in bench/, one table, the figures as JSON under bench/results/.

Each part is one of the scripts in this package (each also runs alone, `python -m bench.<name>`),
against the services as `make run` starts them (gunicorn, relays, consumers, mail sender) on
fresh PostgreSQL databases, a private RabbitMQ vhost, an aiosmtpd server and 127.0.0.1 ports.

    .venv/bin/python -m bench [--quick] [--only rush,reads,feed,mail,move,outbox,commit,sql]
        [--update-baseline]

After the table, the figures that vary little (CPU per operation, throughput) are compared
with `bench/baseline.json` (bench/baseline.py); one more than 15 % worse is flagged.
"""

from __future__ import annotations

import argparse
import os
import platform as host
import subprocess
import time
import traceback
from datetime import UTC, datetime

from bench import (
    baseline,
    commit_rate,
    notify_feed,
    notify_move,
    outbox_latency,
    registration_mail,
    registration_rush,
    schedule_reads,
)
from bench.common import load_average, require_wrk, write_result
from services.notify.settings import NotifySettings

PARTS = ("rush", "reads", "feed", "mail", "move", "outbox", "commit", "sql")


def run_rush(quick: bool) -> dict:
    args = argparse.Namespace(
        connections=256,
        seconds=8 if quick else 20,
        capacity=5000,
        workers=2,
        threads=8,
        wrk_threads=2,
        profile=False,
        keep_database=False,
    )
    return registration_rush.run(args)


def run_reads(quick: bool) -> list[dict]:
    args = argparse.Namespace(
        sessions=500,
        seconds=4 if quick else 10,
        connections=32,
        wrk_threads=2,
        workers=2,
        threads=8,
    )
    return schedule_reads.measure(args)


def run_feed(quick: bool) -> dict:
    return notify_feed.measure(4 if quick else 10, 64, 40)


def run_mail(quick: bool) -> dict:
    return registration_mail.measure([200, 25], 8 if quick else 20, 4 if quick else 10)


def run_move(quick: bool) -> dict:
    return notify_move.measure(300 if quick else 1000, 0, NotifySettings().mail_processes)


def run_outbox(quick: bool) -> dict:
    return outbox_latency.measure("postgresql", 200, 4 if quick else 10)


def run_commit(quick: bool) -> dict:
    return commit_rate.measure(3 if quick else 8, [4, 16, 64])


def run_sql(quick: bool) -> dict:
    return registration_rush.run_sql_only(
        argparse.Namespace(capacity=5000, seconds=3 if quick else 8)
    )


RUNNERS = {
    "rush": run_rush,
    "reads": run_reads,
    "feed": run_feed,
    "mail": run_mail,
    "move": run_move,
    "outbox": run_outbox,
    "commit": run_commit,
    "sql": run_sql,
}


def table(results: dict, quick: bool) -> list[tuple[str, str, str]]:
    """(figure, measured, target) rows; a part that failed says so."""
    rows: list[tuple[str, str, str]] = []

    def failed(part: str, label: str) -> bool:
        if "error" in results.get(part, {}):
            rows.append((label, f"FAILED: {results[part]['error'][:90]}", ""))
            return True
        return part not in results

    if not failed("rush", "registration rush"):
        r = results["rush"]["figures"]
        seats = r["seats"]
        rows += [
            (
                f"registration rush, {r['setup']['connections']} clients",
                f"{r['registrations_per_second']:.0f} registrations/s, "
                f"p50 {r['latency_ms']['p50']} ms, p99 {r['latency_ms']['p99']} ms, "
                f"{r['non_2xx']} non-2xx",
                "1,000/s, p99 < 250 ms",
            ),
            (
                "  CPU per registration",
                f"web {r['cpu_ms_per_registration']['web']} ms + PostgreSQL "
                f"{r['cpu_ms_per_registration']['postgresql']} ms -> "
                f"{r['registrations_per_second_on_idle_cores']:.0f}/s on idle cores",
                "",
            ),
            (
                "  seats",
                f"{seats['seated']} seated of {seats['capacity']}, overbooked "
                f"{seats['overbooked']}, free seats while waiting "
                f"{seats['free_seats_while_waiting']}",
                "overbooked 0",
            ),
        ]
    if not failed("mail", "availability reads"):
        m = results["mail"]["figures"]
        reads = m["availability_reads"]
        rows.append(
            (
                "availability reads",
                f"{reads['requests_per_s']:.0f} req/s, p99 {reads['p99_ms']} ms",
                "",
            )
        )
    if not failed("reads", "schedule reads"):
        for row in results["reads"]["figures"]:
            rows.append(
                (
                    f"{row['read']} {row['answer']}",
                    f"{row['requests_per_s']:.0f} req/s, p99 {row['p99_ms']:.1f} ms, "
                    f"{row['non_2xx_3xx'] + row['socket_errors']} errors",
                    "",
                )
            )
    if not failed("feed", "programme feed"):
        f = results["feed"]["figures"]
        for status, target in (("200", "3,000/s"), ("304", "5,000/s")):
            figures = f[f"status_{status}"]
            rows.append(
                (
                    f"calendar.ics {status}",
                    f"{figures['requests_per_s']:.0f} req/s, p99 {figures['p99_ms']} ms, "
                    f"{figures['non_2xx_3xx'] + figures['socket_errors']} errors",
                    target,
                )
            )
    if not failed("mail", "registration to mail"):
        for s in results["mail"]["figures"]["steady"]:
            rows.append(
                (
                    f"registration -> mail at {s['rate_per_s']:.0f}/s",
                    f"p50 {s['latency_p50_ms']} ms, p99 {s['latency_p99_ms']} ms; "
                    f"{s['answered_201']}/{s['registrations']} answered 201, "
                    f"{s['mails_missing']} missing after 120 s, {s['mails_doubled']} doubled",
                    "p99 < 1 s at 200/s",
                )
            )
            busiest = ", ".join(
                f"{name} {ms}" for name, ms in list(s["cpu_ms_per_registration"].items())[:6]
            )
            rows.append(
                (
                    "  CPU ms per registration",
                    f"{s['cpu_ms_per_registration_total']} in all ({busiest}, ...) -> "
                    f"{s['sustainable_per_s_on_idle_cores']}/s on idle cores",
                    "",
                )
            )
    if not failed("move", "session moved"):
        mv = results["move"]["figures"]
        rows.append(
            (
                f"session with {mv['attendees']} attendees moved",
                f"{mv['accepted']} invitations accepted after {mv['all_accepted_seconds']} s "
                f"(handler {mv['handler_seconds']} s)",
                "< 10 s for 1,000",
            )
        )
    if not failed("outbox", "outbox latency"):
        o = results["outbox"]["figures"]
        rows.append(
            (
                f"outbox commit -> consumer at {o['rate_per_s']:.0f}/s",
                f"p50 {o['p50_ms']} ms, p99 {o['p99_ms']} ms, {o['delivered']}/{o['messages']}",
                "",
            )
        )
    if not failed("mail", "memory"):
        for service, mb in results["mail"]["figures"]["peak_rss_mb"].items():
            rows.append((f"RSS {service} (all processes)", f"{mb:.0f} MB peak under load", ""))
    if not failed("commit", "pgbench"):
        for row in results["commit"]["figures"]["rows"]:
            rows.append(
                (
                    f"pgbench {row['transaction']}, {row['clients']} clients",
                    f"{row['tps']} tx/s",
                    "",
                )
            )
    if not failed("sql", "seat transaction (pgbench)"):
        by_clients = results["sql"]["figures"]["transactions_per_second_by_clients"]
        for clients, tps in by_clients.items():
            rows.append(
                (
                    f"pgbench registration tx, {clients} clients",
                    f"seat rows {tps['seat_rows_tps']:.0f} tx/s, "
                    f"hot counter row {tps['hot_row_tps']:.0f} tx/s",
                    "",
                )
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter runs (about 3 minutes)")
    parser.add_argument("--only", default=",".join(PARTS), help="comma-separated parts")
    parser.add_argument(
        "--update-baseline",
        action="store_true",
        help="write this run's guarded figures into bench/baseline.json",
    )
    args = parser.parse_args()
    require_wrk()
    parts = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = set(parts) - set(PARTS)
    if unknown:
        raise SystemExit(f"unknown parts {sorted(unknown)}; choose from {', '.join(PARTS)}")
    started = time.monotonic()
    results: dict[str, dict] = {}
    for part in parts:
        print(f"[bench] {part} ... (load average {load_average()})", flush=True)
        t0 = time.monotonic()
        before = load_average()
        try:
            figures = RUNNERS[part](args.quick)
        except Exception as exc:
            traceback.print_exc()
            results[part] = {"error": f"{type(exc).__name__}: {exc}"[:200]}
            continue
        results[part] = {
            "figures": figures,
            "seconds": round(time.monotonic() - t0, 1),
            "load_average_before": before,
            "load_average_after": load_average(),
        }
    summary = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": args.quick,
        "machine": {
            "cpus": os.cpu_count(),
            "platform": host.platform(),
            "python": host.python_version(),
        },
        "total_seconds": round(time.monotonic() - started, 1),
        "results": results,
    }
    path = write_result("bench" + ("-quick" if args.quick else ""), summary)
    rows = table(results, args.quick)
    width = max(len(r[0]) for r in rows) if rows else 10
    measured = max(len(r[1]) for r in rows) if rows else 10
    print(
        f"\nmake bench{' --quick' if args.quick else ''}: {summary['at']}, "
        f"{os.cpu_count()} CPUs, {summary['total_seconds']:.0f} s"
    )
    print(f"{'figure':<{width}}  {'measured':<{measured}}  target")
    print("-" * (width + measured + 20))
    for figure, value, target in rows:
        print(f"{figure:<{width}}  {value:<{measured}}  {target}")
    loads = ", ".join(
        f"{part} {r['load_average_before']}→{r['load_average_after']}"
        for part, r in results.items()
        if "figures" in r
    )
    print(f"\nload average (1 min) before→after each part: {loads}")
    print(f"figures written to {path}")
    guard(results, summary, args)


def guard(results: dict, summary: dict, args: argparse.Namespace) -> None:
    measured = baseline.figures_of(results)
    before = baseline.load()
    if args.quick:
        print("\n(--quick: not compared with the baseline, which is of full runs)")
        return
    comparisons = list(baseline.compare(measured, before.get("figures", {})))
    if comparisons:
        about = before.get("measured", {})
        print(
            f"\nagainst bench/baseline.json ({about.get('commit', '?')}, {about.get('at', '?')}):"
        )
        for comparison in comparisons:
            print(f"  {comparison.line()}")
        worse = [c for c in comparisons if c.worse]
        if worse:
            print(
                f"{len(worse)} figure(s) more than {baseline.TOLERANCE:.0%} worse than the "
                "baseline: measure the commit before side by side before trusting it"
            )
    if args.update_baseline:
        baseline.save(measured, {"at": summary["at"], "commit": current_commit()})
        print("bench/baseline.json updated")


def current_commit() -> str:
    result = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    )
    return result.stdout.strip() or "unknown"


if __name__ == "__main__":
    main()
