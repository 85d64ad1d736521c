"""The geometry of the statistics charts (services/registration/charts.py): scales, ticks,
paths, bars, and the labels in German and English on the 24-hour clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.registration import charts

BERLIN = ZoneInfo("Europe/Berlin")


@dataclass(frozen=True)
class B:
    """A bucket as the statistics give them."""

    starts_at: datetime
    ends_at: datetime
    count: int
    total: int


@dataclass(frozen=True)
class Q:
    starts_at: datetime
    count: int


def local(*args, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=BERLIN, fold=fold)


def test_linear_scale_maps_ends_and_an_empty_domain():
    scale = charts.LinearScale(0, 10, 200, 20)
    assert (scale(0), scale(10), scale(5)) == (200, 20, 110)
    assert charts.LinearScale(3, 3, 50, 100)(3) == 50


def test_time_scale_measures_instants_not_wall_clock_times():
    # 02:00 → 03:00 on 31 March 2024 lasts no time: 01:00 CET to 04:00 CEST are 2 hours.
    lo, hi = local(2024, 3, 31, 1, 0), local(2024, 3, 31, 4, 0)
    scale = charts.TimeScale(lo, hi, 0, 200)
    assert scale(local(2024, 3, 31, 3, 0)) == 100
    assert charts.TimeScale(lo, lo, 10, 20)(lo) == 10


@pytest.mark.parametrize(
    ("top", "ticks"),
    [
        (0, [0, 1]),
        (1, [0, 1]),
        (4, [0, 1, 2, 3, 4]),
        (7, [0, 2, 4, 6, 8]),
        (37, [0, 10, 20, 30, 40]),
        (120, [0, 50, 100, 150]),
        (1000, [0, 200, 400, 600, 800, 1000]),
    ],
)
def test_count_ticks_are_round_and_reach_the_top(top, ticks):
    assert charts.count_ticks(top) == ticks


def test_time_ticks_within_a_day_are_round_local_hours():
    ticks = charts.time_ticks(
        local(2024, 4, 29, 9, 10).astimezone(UTC), local(2024, 4, 29, 17, 50), BERLIN, "de"
    )
    assert [(label, sub) for _at, label, sub in ticks] == [
        ("10:00", ""),
        ("12:00", ""),
        ("14:00", ""),
        ("16:00", ""),
    ]


def test_time_ticks_across_the_spring_change_skip_the_missing_hour():
    ticks = charts.time_ticks(local(2024, 3, 31, 0, 0), local(2024, 3, 31, 4, 0), BERLIN, "en")
    # Every hour that exists that night: 02:00 does not.
    assert [label for _at, label, _sub in ticks] == ["00:00", "01:00", "03:00", "04:00"]
    assert len({at.astimezone(UTC) for at, _l, _s in ticks}) == 4


def test_time_ticks_over_days_name_the_days_in_the_language():
    lo, hi = local(2024, 4, 1), local(2024, 4, 30, 12, 0)
    german = charts.time_ticks(lo, hi, BERLIN, "de")
    english = charts.time_ticks(lo, hi, BERLIN, "en")
    assert [label for _at, label, _sub in german] == ["1.4.", "8.4.", "15.4.", "22.4.", "29.4."]
    assert [label for _at, label, _sub in english][:2] == ["1 Apr", "8 Apr"]
    several = charts.time_ticks(local(2024, 4, 1, 20), local(2024, 4, 2, 10), BERLIN, "de")
    # Times, with the day under the first of each day.
    assert [(label, sub) for _at, label, sub in several][:2] == [
        ("21:00", "1.4."),
        ("00:00", "2.4."),
    ]


def test_labels_in_german_and_english_on_the_24_hour_clock():
    moment = local(2024, 4, 29, 14, 5)
    assert charts.moment(moment, "de") == "Mo. 29. Apr. 2024, 14:05"
    assert charts.moment(moment, "en") == "Mon 29 Apr 2024, 14:05"
    assert charts.day(moment, "de") == "Montag, 29. April 2024"
    assert charts.day(moment, "en") == "Monday, 29 April 2024"
    assert charts.axis_moment(moment, "en") == "29 Apr 14:05"
    assert charts.percent(0.755, "de") == "76\xa0%" and charts.percent(0.755, "en") == "76%"
    assert charts.percent(None, "de") == "–"
    # A time the autumn change repeats says which one it is.
    assert charts.clock(local(2024, 10, 27, 2, 15)) == "02:15 (UTC+2)"
    assert charts.clock(local(2024, 10, 27, 2, 15, fold=1)) == "02:15 (UTC+1)"
    assert charts.clock(local(2024, 10, 27, 3, 15)) == "03:15"


def test_shorten_keeps_short_texts_and_cuts_long_ones():
    assert charts.shorten("Eröffnung", 20) == "Eröffnung"
    assert charts.shorten("Die Zukunft der Arbeit in Dortmund", 12) == "Die Zukunft…"


def test_cumulative_vertices_rise_through_each_bucket_and_stay_flat_between():
    lo, hi = local(2024, 4, 1, 9), local(2024, 4, 1, 15)
    buckets = [
        B(local(2024, 4, 1, 9), local(2024, 4, 1, 10), 2, 2),
        B(local(2024, 4, 1, 12), local(2024, 4, 1, 13), 3, 5),
    ]
    vertices = charts.cumulative_vertices(buckets, lo, hi)
    assert [(v[0].astimezone(BERLIN).hour, v[1]) for v in vertices] == [
        (9, 0),
        (10, 2),
        (12, 2),
        (13, 5),
        (15, 5),
    ]
    assert charts.value_at(vertices, local(2024, 4, 1, 9, 30)) == 1
    assert charts.value_at(vertices, local(2024, 4, 1, 11)) == 2
    assert charts.value_at(vertices, local(2024, 4, 1, 20)) == 5
    assert charts.value_at(vertices, local(2024, 4, 1, 8)) == 0


def test_line_chart_paths_markers_and_reference():
    buckets = [
        B(local(2024, 4, 1, 9), local(2024, 4, 1, 10), 2, 2),
        B(local(2024, 4, 1, 12), local(2024, 4, 1, 13), 3, 5),
    ]
    cancelled = [B(local(2024, 4, 1, 12), local(2024, 4, 1, 13), 1, 1)]
    chart = charts.line_chart(
        [("registrations", "Anmeldungen", buckets), ("cancellations", "Stornierungen", cancelled)],
        BERLIN,
        "de",
        markers=[(local(2024, 4, 1, 9, 30), "1")],
        reference=(4, "4 Plätze"),
    )
    plot = chart.plot
    assert chart.width == charts.WIDTH and 0 < plot.left < plot.right <= chart.width
    assert 0 < plot.top < plot.bottom <= chart.height
    # Starts at 0 on the left, ends at the total on the right.
    first, *_rest, last = chart.lines[0].path[1:].split(" L")
    assert first == f"{charts._number(plot.left)},{charts._number(plot.bottom)}"
    x, y = (float(n) for n in last.split(","))
    assert x == pytest.approx(plot.right, abs=0.1)
    top_tick = chart.y_ticks[-1]
    assert top_tick.label == "5" and y == pytest.approx(top_tick.at, abs=0.1)
    # 9:30 is a sixth of the way from 9:00 to 12:00... of the plot's 4 hours: an eighth.
    marker = chart.markers[0]
    assert marker.x == pytest.approx(plot.left + plot.width / 8, abs=0.1)
    assert marker.y == pytest.approx(plot.bottom - (plot.bottom - plot.top) / 5, abs=0.1)
    assert chart.reference.label == "4 Plätze"
    assert chart.reference.y == pytest.approx(
        plot.bottom - 4 * (plot.bottom - plot.top) / 5, abs=0.1
    )
    assert [item.label for item in chart.legend] == ["Anmeldungen", "Stornierungen"]
    assert chart.x_ticks[0].label == "09:00" and chart.x_ticks[0].at == pytest.approx(plot.left)
    ruled = charts.line_chart(
        [("registrations", "A", buckets)],
        BERLIN,
        "de",
        markers=[(local(2024, 4, 1, 12, 30), "voll")],
        rules=True,
    )
    assert ruled.markers[0].y is None and ruled.legend == []


def test_line_chart_without_buckets_is_none():
    assert charts.line_chart([("registrations", "A", [])], BERLIN, "de") is None


def test_the_line_of_this_hours_bucket_stops_at_now():
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    buckets = [
        B(hour - timedelta(hours=1), hour, 2, 2),
        B(hour, hour + timedelta(hours=1), 1, 3),
    ]
    chart = charts.line_chart([("registrations", "A", buckets)], BERLIN, "de")
    [line] = chart.lines
    assert line.vertices[-1][1] == 3
    assert line.vertices[-1][0] <= datetime.now(UTC)
    assert chart.ends <= datetime.now(UTC)


def test_bar_chart_bars_fill_the_plot_in_order():
    start = local(2024, 3, 31, 1, 45)
    buckets = [
        Q(start, 1),
        Q(local(2024, 3, 31, 3, 0), 4),
        Q(local(2024, 3, 31, 3, 15), 0),
        Q(local(2024, 3, 31, 3, 30), 2),
    ]
    chart = charts.bar_chart(buckets)
    plot = chart.plot
    slot = plot.width / 4
    assert [round(bar.x, 3) for bar in chart.bars] == [
        round(plot.left + i * slot + slot * 0.1, 3) for i in range(4)
    ]
    assert all(bar.width == pytest.approx(slot * 0.8) for bar in chart.bars)
    assert [bar.value for bar in chart.bars] == [1, 4, 0, 2]
    tallest = chart.bars[1]
    assert tallest.y == pytest.approx(plot.top) and tallest.y + tallest.height == pytest.approx(
        plot.bottom
    )
    assert chart.bars[2].height == 0
    # Full hours are labelled: 03:00 (02:00 did not exist).
    assert [tick.label for tick in chart.x_ticks] == ["03:00"]
    assert charts.bar_chart([]) is None


def test_bar_chart_labels_few_hours_of_a_long_day():
    day = [Q(local(2024, 4, 29, 8) + timedelta(minutes=15 * n), n % 3) for n in range(4 * 14)]
    labels = [tick.label for tick in charts.bar_chart(day).x_ticks]
    assert len(labels) <= charts.MOST_TICKS + 1 and labels[0] == "08:00"
    assert all(label.endswith(":00") for label in labels)


def test_bar_chart_of_a_quiet_day_has_only_zero_and_one():
    chart = charts.bar_chart([Q(local(2024, 4, 29, 10, 15), 0)])
    assert [tick.label for tick in chart.y_ticks] == ["0", "1"]
    assert chart.bars[0].height == 0
    # No full hour among the buckets: the first one is labelled.
    assert [tick.label for tick in chart.x_ticks] == ["10:15"]


def test_hbar_chart_scales_fractions_to_the_track_and_clamps_above_one():
    chart = charts.hbar_chart(
        [
            ("Eröffnung", 0.5, "20/40"),
            ("Sehr lang " * 20, 1.25, "50/40"),
            ("Leer", 0.0, "0/10"),
        ]
    )
    first, long, empty = chart.bars
    assert first.width == pytest.approx(chart.track_width / 2) and not first.full
    assert long.width == pytest.approx(chart.track_width) and long.full
    assert long.label.endswith("…") and len(long.label) * charts.CHAR_WIDTH <= chart.width
    assert long.full_label.startswith("Sehr lang")
    assert empty.width == 0
    assert chart.track_x + chart.track_width < first.value_x < chart.width
    assert first.y < long.y < empty.y and empty.y + chart.bar_height <= chart.height
    assert charts.hbar_chart([]) is None


def test_series_rows_merge_registrations_and_cancellations():
    registered = [
        B(local(2024, 4, 1), local(2024, 4, 2), 2, 2),
        B(local(2024, 4, 3), local(2024, 4, 4), 1, 3),
    ]
    cancelled = [B(local(2024, 4, 2), local(2024, 4, 3), 1, 1)]
    rows = charts.series_rows(registered, cancelled)
    assert [
        (
            r.starts_at.day,
            r.registrations,
            r.registrations_total,
            r.cancellations,
            r.cancellations_total,
        )
        for r in rows
    ] == [(1, 2, 2, 0, 0), (2, 0, 2, 1, 1), (3, 1, 3, 0, 1)]
