"""The figures of `bench.broker_cost`: the broker's CPU apart from the platform's, and the ratios
quorum / classic, from what `steady_run` gives (no platform started)."""

from __future__ import annotations

from bench.broker_cost import CLASSIC, QUORUM, ratios, row, table


def steady(rate: float, per_s: float, p50: float, p99: float, cpu: dict[str, float]) -> dict:
    return {
        "rate_per_s": rate,
        "answered_201_per_s": per_s,
        "latency_p50_ms": p50,
        "latency_p99_ms": p99,
        "mails_missing": 0,
        "mails_doubled": 0,
        "cpu_ms_per_registration": cpu,
        "cpu_ms_per_registration_total": round(sum(cpu.values()), 1),
    }


CLASSIC_25 = steady(
    25,
    25.0,
    40.0,
    80.0,
    {
        "registration": 6.0,
        "notify-consumer": 4.0,
        "postgresql": 3.0,
        "bench (clients, SMTP server)": 2.0,
        "rabbitmq 1": 2.0,
    },
)
QUORUM_25 = steady(
    25,
    24.5,
    60.0,
    200.0,
    {
        "registration": 6.0,
        "notify-consumer": 4.0,
        "postgresql": 3.0,
        "bench (clients, SMTP server)": 2.0,
        "rabbitmq 1": 3.0,
        "rabbitmq 2": 1.5,
        "rabbitmq 3": 1.5,
    },
)


def test_the_broker_is_every_node_and_the_platform_is_what_is_neither_broker_nor_database():
    figures = row(QUORUM, QUORUM_25)

    assert figures["cpu_ms_per_registration"] == {
        "broker": 6.0,
        "platform": 10.0,
        "postgresql": 3.0,
        "all": 21.0,
    }


def test_ratios_are_quorum_over_classic_at_each_rate_measured_on_both():
    rows = [
        row(CLASSIC, CLASSIC_25),
        row(QUORUM, QUORUM_25),
        row(CLASSIC, {**CLASSIC_25, "rate_per_s": 100, "latency_p99_ms": None}),
    ]

    assert ratios(rows) == [
        {
            "rate_per_s": 25,
            "answered_201_per_s": 0.98,
            "latency_p50": 1.5,
            "latency_p99": 2.5,
            "cpu_broker": 3.0,
            "cpu_all": 1.24,
        }
    ]


def test_the_table_has_a_line_per_setup_and_rate_then_the_ratios():
    rows = [row(QUORUM, QUORUM_25), row(CLASSIC, CLASSIC_25)]

    lines = table({"rows": rows, "quorum_over_classic": ratios(rows)})

    assert lines[2].startswith(CLASSIC) and lines[3].startswith(QUORUM)
    assert lines[-1].startswith("quorum / classic at 25/s: registrations/s 0.98")
