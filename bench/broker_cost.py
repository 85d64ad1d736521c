"""What quorum queues on a 3-node RabbitMQ cluster cost against classic queues on one node:
registrations/s, registration-to-mail latency and CPU per registration, in one run.

Starts two platforms side by side, one of every process each, on the shared PostgreSQL (so
only the broker differs): (a) AMQP_QUEUE_TYPE=classic on one private RabbitMQ node, (b)
AMQP_QUEUE_TYPE=quorum on a private cluster of three nodes, AMQP_URL listing all three. At each
of `--rates` it registers for `--seconds` on one setup, then on the other, the first of the
two alternating from rate to rate so that the machine's drift hits both; measured as
`bench.registration_mail` measures its steady rates, with the broker's CPU (each node's Erlang
VM and its children) beside the platform's. Prints one table (setup x rate) and the ratios
quorum / classic, and writes the figures as JSON under bench/results/.

    .venv/bin/python -m bench.broker_cost [--rates 25,100] [--seconds 20]

Not part of `make bench`: it starts four RabbitMQ nodes (about two minutes).
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

from bench.common import load_average, write_result
from bench.platform import Platform, platform_running
from bench.registration_mail import steady_run
from drills.servers import PrivateRabbit, RabbitCluster
from harness.infra import wait_until

CLASSIC = "classic, 1 node"
QUORUM = "quorum, 3 nodes"
BROKER = "rabbitmq"  # the prefix of the broker nodes' entries in the CPU figures
WARM_UP = (10, 2)  # registrations/s, seconds: first connections and imports, not measured


@dataclass
class Setup:
    name: str
    platform: Platform
    session_id: int
    nodes: list[PrivateRabbit]

    def broker_roots(self) -> dict[str, int]:
        """Each node's Erlang VM, by the pid it writes to RABBITMQ_PID_FILE."""
        return {f"{BROKER} {n}": node.pid for n, node in enumerate(self.nodes, 1)}


@contextlib.contextmanager
def setups_running(capacity: int) -> Iterator[dict[str, Setup]]:
    with contextlib.ExitStack() as stack:
        node = stack.enter_context(PrivateRabbit())
        cluster = stack.enter_context(RabbitCluster(3))
        platforms = {
            CLASSIC: stack.enter_context(
                platform_running(amqp_url=node.amqp_url, instances=1, AMQP_QUEUE_TYPE="classic")
            ),
            QUORUM: stack.enter_context(
                platform_running(amqp_url=cluster.amqp_url, instances=1, AMQP_QUEUE_TYPE="quorum")
            ),
        }
        nodes = {CLASSIC: [node], QUORUM: cluster.nodes}
        setups = {}
        for name, platform in platforms.items():
            [session_id] = platform.publish_programme(capacity=capacity)
            setups[name] = Setup(name, platform, session_id, nodes[name])
        # Otherwise the quorum setup could be measured before its queues have all members.
        wait_until(
            cluster.fully_replicated, timeout=60, interval=1, message="every queue on 3 nodes"
        )
        yield setups


def measure(rates: list[float], seconds: float) -> dict:
    capacity = max(10_000, int(sum(rates) * seconds + WARM_UP[0] * WARM_UP[1]) + 100)
    before = load_average()
    rows = []
    with setups_running(capacity) as setups:
        for setup in setups.values():
            steady_run(setup.platform, setup.session_id, *WARM_UP, "warmup")
        for n, rate in enumerate(rates):
            order = list(setups.values())
            for setup in order if n % 2 == 0 else reversed(order):
                steady = steady_run(
                    setup.platform,
                    setup.session_id,
                    rate,
                    seconds,
                    f"rate{n}",
                    more_roots=setup.broker_roots(),
                )
                rows.append(row(setup.name, steady))
    return {
        "benchmark": "broker_cost",
        "seconds": seconds,
        "load_average_1m": {"before": before, "after": load_average()},
        "rows": rows,
        "quorum_over_classic": ratios(rows),
    }


def row(setup: str, steady: dict) -> dict:
    """The figures of one setup at one rate; `steady` is what `steady_run` gave."""
    cpu = steady["cpu_ms_per_registration"]
    broker = sum(ms for name, ms in cpu.items() if name.startswith(f"{BROKER} "))
    database = cpu.get("postgresql", 0.0)
    bench = sum(ms for name, ms in cpu.items() if name.startswith("bench "))
    total = steady["cpu_ms_per_registration_total"]
    return {
        "setup": setup,
        "rate_per_s": steady["rate_per_s"],
        "answered_201_per_s": steady["answered_201_per_s"],
        "latency_p50_ms": steady["latency_p50_ms"],
        "latency_p99_ms": steady["latency_p99_ms"],
        "mails_missing": steady["mails_missing"],
        "mails_doubled": steady["mails_doubled"],
        "cpu_ms_per_registration": {
            "broker": round(broker, 2),
            "platform": round(total - broker - database - bench, 2),
            "postgresql": database,
            "all": total,
        },
        "steady": steady,
    }


def ratios(rows: list[dict]) -> list[dict]:
    """Quorum / classic at each rate both were measured at (None where classic is 0 or None)."""

    def ratio(quorum, classic):
        return round(quorum / classic, 2) if quorum is not None and classic else None

    quorum_at = {r["rate_per_s"]: r for r in rows if r["setup"] == QUORUM}
    out = []
    for classic in (r for r in rows if r["setup"] == CLASSIC):
        quorum = quorum_at.get(classic["rate_per_s"])
        if quorum is None:
            continue
        cpu_q, cpu_c = quorum["cpu_ms_per_registration"], classic["cpu_ms_per_registration"]
        out.append(
            {
                "rate_per_s": classic["rate_per_s"],
                "answered_201_per_s": ratio(
                    quorum["answered_201_per_s"], classic["answered_201_per_s"]
                ),
                "latency_p50": ratio(quorum["latency_p50_ms"], classic["latency_p50_ms"]),
                "latency_p99": ratio(quorum["latency_p99_ms"], classic["latency_p99_ms"]),
                "cpu_broker": ratio(cpu_q["broker"], cpu_c["broker"]),
                "cpu_all": ratio(cpu_q["all"], cpu_c["all"]),
            }
        )
    return out


COLUMNS = (  # heading, width, the figure of a row
    ("setup", 16, lambda r: r["setup"]),
    ("rate/s", 6, lambda r: f"{r['rate_per_s']:.0f}"),
    ("201/s", 6, lambda r: f"{r['answered_201_per_s']:.1f}"),
    ("p50 ms", 7, lambda r: r["latency_p50_ms"]),
    ("p99 ms", 7, lambda r: r["latency_p99_ms"]),
    ("missing", 7, lambda r: r["mails_missing"]),
    ("doubled", 7, lambda r: r["mails_doubled"]),
    *(
        (f"CPU {heading}", 12, lambda r, part=part: r["cpu_ms_per_registration"][part])
        for heading, part in (
            ("broker", "broker"),
            ("platform", "platform"),
            ("PG", "postgresql"),
            ("all", "all"),
        )
    ),
)


def table(result: dict) -> list[str]:
    """The rows (setup x rate) and the ratios, as lines to print."""
    lines = [
        "  ".join(f"{heading:<{width}}" for heading, width, _ in COLUMNS),
        "-" * sum(width + 2 for _, width, _ in COLUMNS),
    ]
    for r in sorted(result["rows"], key=lambda r: (r["rate_per_s"], r["setup"])):
        lines.append("  ".join(f"{figure(r)!s:<{width}}" for _, width, figure in COLUMNS))
    lines.append("(CPU in ms per registration; 'all' is every process, the bench's included)")
    for q in result["quorum_over_classic"]:
        lines.append(
            f"quorum / classic at {q['rate_per_s']:.0f}/s: registrations/s "
            f"{q['answered_201_per_s']}, latency p50 {q['latency_p50']} p99 {q['latency_p99']}, "
            f"CPU per registration: broker {q['cpu_broker']}, all {q['cpu_all']}"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="25,100", help="registrations/s, one run each")
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    result = measure([float(rate) for rate in args.rates.split(",")], args.seconds)
    print("\n".join(table(result)))
    loads = result["load_average_1m"]
    print(f"load average (1 min): {loads['before']} before, {loads['after']} after")
    print(f"written to {write_result('broker_cost', result)}")


if __name__ == "__main__":
    main()
