"""The regression guard of `make bench`: the figures that vary little from run to run (CPU per
operation and throughput, not latency) compared with `bench/baseline.json`, committed with the
code, each as a ratio; a figure more than 15 % worse is flagged.

    .venv/bin/python -m bench --update-baseline   # after a change that is meant to be slower

Throughput depends on the machine of the day (here it differs by 2x from one day to the next),
CPU per operation much less: compare like with like, and look at the pgbench rows, which
measure the machine rather than the code, before blaming a change.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BASELINE = Path(__file__).parent / "baseline.json"
TOLERANCE = 0.15


@dataclass(frozen=True)
class Guarded:
    name: str
    unit: str
    # True when more is better (throughput), False when less is (CPU per operation).
    higher_is_better: bool
    value: Callable[[dict], Any]


def _steady(rate: int, key: str) -> Callable[[dict], Any]:
    def value(results: dict) -> Any:
        for steady in results["mail"]["figures"]["steady"]:
            if round(steady["rate_per_s"]) == rate:
                return steady[key]
        return None

    return value


GUARDED = (
    Guarded(
        "rush: registrations/s",
        "/s",
        True,
        lambda r: r["rush"]["figures"]["registrations_per_second"],
    ),
    Guarded(
        "rush: web CPU per registration",
        "ms",
        False,
        lambda r: r["rush"]["figures"]["cpu_ms_per_registration"]["web"],
    ),
    Guarded(
        "rush: PostgreSQL CPU per registration",
        "ms",
        False,
        lambda r: r["rush"]["figures"]["cpu_ms_per_registration"]["postgresql"],
    ),
    Guarded(
        "pipeline at 25/s: CPU per registration",
        "ms",
        False,
        _steady(25, "cpu_ms_per_registration_total"),
    ),
    Guarded(
        "calendar.ics 200",
        "/s",
        True,
        lambda r: r["feed"]["figures"]["status_200"]["requests_per_s"],
    ),
    Guarded(
        "calendar.ics 304",
        "/s",
        True,
        lambda r: r["feed"]["figures"]["status_304"]["requests_per_s"],
    ),
    Guarded(
        "availability reads",
        "/s",
        True,
        lambda r: r["mail"]["figures"]["availability_reads"]["requests_per_s"],
    ),
    Guarded(
        "session moved: handler time for all attendees",
        "s",
        False,
        lambda r: r["move"]["figures"]["handler_seconds"],
    ),
)


def figures_of(results: dict) -> dict[str, float]:
    """The guarded figures a run measured (parts not run, or failed, are left out)."""
    found: dict[str, float] = {}
    for guarded in GUARDED:
        try:
            value = guarded.value(results)
        except (KeyError, TypeError, IndexError):
            continue
        if isinstance(value, int | float):
            found[guarded.name] = float(value)
    return found


@dataclass(frozen=True)
class Comparison:
    name: str
    unit: str
    baseline: float
    measured: float
    # measured / baseline, oriented so that below 1 is worse
    ratio: float

    @property
    def worse(self) -> bool:
        return self.ratio < 1 - TOLERANCE

    def line(self) -> str:
        flag = f"  WORSE by {100 * (1 - self.ratio):.0f} %" if self.worse else ""
        return (
            f"{self.name}: {self.measured:g} {self.unit} against {self.baseline:g} "
            f"({self.ratio:.2f}x){flag}"
        )


def compare(measured: dict[str, float], baseline: dict[str, float]) -> Iterator[Comparison]:
    for guarded in GUARDED:
        now, then = measured.get(guarded.name), baseline.get(guarded.name)
        if now is None or not then or not now:
            continue
        ratio = now / then if guarded.higher_is_better else then / now
        yield Comparison(guarded.name, guarded.unit, then, now, round(ratio, 3))


def load() -> dict[str, Any]:
    return json.loads(BASELINE.read_text()) if BASELINE.exists() else {}


def save(measured: dict[str, float], about: dict[str, Any]) -> None:
    """Figures of this run as the new baseline, merged into the old one (a run of some parts
    replaces only theirs)."""
    baseline = load()
    baseline.setdefault("figures", {}).update(measured)
    baseline["measured"] = about
    BASELINE.write_text(json.dumps(baseline, indent=2, sort_keys=True) + "\n")
