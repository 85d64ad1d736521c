"""The regression guard of `make bench`: ratios oriented so that below 1 is worse, 15 %."""

from __future__ import annotations

from bench.baseline import compare, figures_of

RUSH = {
    "rush": {
        "figures": {
            "registrations_per_second": 120.0,
            "cpu_ms_per_registration": {"web": 10.5, "postgresql": 3.0},
        }
    },
    "mail": {"error": "RuntimeError: the SMTP server did not start"},
}


def test_the_guarded_figures_of_a_run_leave_out_parts_not_run_or_failed():
    assert figures_of(RUSH) == {
        "rush: registrations/s": 120.0,
        "rush: web CPU per registration": 10.5,
        "rush: PostgreSQL CPU per registration": 3.0,
    }


def test_more_than_15_percent_worse_is_flagged_whichever_way_a_figure_points():
    baseline = {
        "rush: registrations/s": 150.0,
        "rush: web CPU per registration": 8.5,
        "rush: PostgreSQL CPU per registration": 3.3,
        "calendar.ics 200": 3000.0,
    }
    by_name = {c.name: c for c in compare(figures_of(RUSH), baseline)}

    assert set(by_name) == set(figures_of(RUSH))  # nothing measured, nothing compared
    throughput = by_name["rush: registrations/s"]
    assert throughput.ratio == 0.8 and throughput.worse
    assert "WORSE by 20 %" in throughput.line()
    web = by_name["rush: web CPU per registration"]
    assert web.ratio == round(8.5 / 10.5, 3) and web.worse
    database = by_name["rush: PostgreSQL CPU per registration"]
    assert database.ratio == 1.1 and not database.worse
    assert "WORSE" not in database.line()
