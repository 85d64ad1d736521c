"""Geometry of the organisers' charts, drawn as SVG by the macros of
`templates/pages/organiser/_charts.html`: scales, ticks, paths and bars in the units of the
SVG's viewBox, and day and time labels in the page's language (24-hour clock in both).

Server-rendered SVG, not a chart library: the Content-Security-Policy (`shared/headers.py`)
allows scripts only from our own files, so a library would have to be vendored and would need
JavaScript to show anything; an SVG is readable without it, scales with its viewBox, and its
figures stay in the page. Nothing here knows Flask: labels in the page's language come in as
arguments.

The viewBox is `WIDTH` units wide and the SVG takes the container's width: on a phone of 390
pixels (about 358 for the chart) one unit is about one pixel, so text of `FONT` units stays
readable; the page's CSS limits how wide a chart grows on large screens.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_percent

from shared.db import utcnow

WIDTH = 360
FONT = 12
# Roughly how wide a character of the axis labels is, in viewBox units.
CHAR_WIDTH = 6.6
LINE_HEIGHT = 220
BAR_HEIGHT = 180
# How many labels an axis carries at most.
MOST_TICKS = 5

MOMENT_FORMATS = {"de": "EEE d. MMM y, HH:mm", "en": "EEE d MMM y, HH:mm"}
DAY_FORMATS = {"de": "EEEE, d. MMMM y", "en": "EEEE, d MMMM y"}
SHORT_DAY_FORMATS = {"de": "EEE d. MMM y", "en": "EEE d MMM y"}
AXIS_DAY_FORMATS = {"de": "d.M.", "en": "d MMM"}
CLOCK = "HH:mm"

# Steps of a time axis: below a day in local wall-clock time, from a day on in local days.
TIME_STEPS = (
    timedelta(minutes=15),
    timedelta(minutes=30),
    timedelta(hours=1),
    timedelta(hours=2),
    timedelta(hours=3),
    timedelta(hours=6),
    timedelta(hours=12),
    timedelta(days=1),
    timedelta(days=2),
    timedelta(days=7),
    timedelta(days=14),
    timedelta(days=28),
)


# -- labels -------------------------------------------------------------------------------------


def _locale(lang: str) -> str:
    return lang if lang in MOMENT_FORMATS else "de"


def is_ambiguous(local: datetime) -> bool:
    """Whether this wall-clock time occurs twice (the autumn change of daylight saving time)."""
    return local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset()


def _offset(local: datetime) -> str:
    minutes = int(local.utcoffset().total_seconds() // 60)
    sign = "+" if minutes >= 0 else "−"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def clock(local: datetime) -> str:
    """`14:15`; a time that the autumn change repeats carries its offset: `02:15 (UTC+1)`."""
    text = f"{local:%H:%M}"
    return f"{text} ({_offset(local)})" if is_ambiguous(local) else text


def moment(local: datetime, lang: str) -> str:
    """`Mo. 29. Apr. 2024, 10:15` / `Mon 29 Apr 2024, 10:15`, in the time's own zone."""
    text = format_datetime(
        local, MOMENT_FORMATS[_locale(lang)], tzinfo=local.tzinfo, locale=_locale(lang)
    )
    return f"{text} ({_offset(local)})" if is_ambiguous(local) else text


def day(value: date | datetime, lang: str) -> str:
    """`Montag, 29. April 2024` / `Monday, 29 April 2024`."""
    if isinstance(value, datetime):
        value = value.date()
    return format_date(value, DAY_FORMATS[_locale(lang)], locale=_locale(lang))


def axis_moment(local: datetime, lang: str) -> str:
    """`23.3. 13:00` / `23 Mar 13:00`: a moment as a chart's label writes it."""
    axis_day = format_date(local.date(), AXIS_DAY_FORMATS[_locale(lang)], locale=_locale(lang))
    return f"{axis_day} {clock(local)}"


def short_day(value: date | datetime, lang: str) -> str:
    """`Mo. 29. Apr. 2024` / `Mon 29 Apr 2024`."""
    if isinstance(value, datetime):
        value = value.date()
    return format_date(value, SHORT_DAY_FORMATS[_locale(lang)], locale=_locale(lang))


def percent(fraction: float | None, lang: str) -> str:
    """`75 %` / `75%`; `–` for none."""
    if fraction is None:
        return "–"
    return format_percent(fraction, locale=_locale(lang))


def shorten(text: str, most: int) -> str:
    """`text`, cut to `most` characters with an ellipsis if longer."""
    if len(text) <= most:
        return text
    return text[: max(most - 1, 1)].rstrip() + "…"


# -- scales and ticks ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LinearScale:
    """Maps `lo`..`hi` onto `start`..`end` (an empty domain onto `start`)."""

    lo: float
    hi: float
    start: float
    end: float

    def __call__(self, value: float) -> float:
        if self.hi == self.lo:
            return self.start
        return self.start + (value - self.lo) * (self.end - self.start) / (self.hi - self.lo)


@dataclass(frozen=True)
class TimeScale:
    """Maps the instants `lo`..`hi` onto `start`..`end`."""

    lo: datetime
    hi: datetime
    start: float
    end: float

    def __call__(self, value: datetime) -> float:
        # In UTC: two times of one zone subtract as wall-clock times.
        lo = self.lo.astimezone(UTC)
        span = (self.hi.astimezone(UTC) - lo).total_seconds()
        if span <= 0:
            return self.start
        elapsed = (value.astimezone(UTC) - lo).total_seconds()
        return self.start + elapsed * (self.end - self.start) / span


@dataclass(frozen=True)
class Tick:
    at: float
    label: str
    # A second line under the label (the day under the first time of each day).
    sublabel: str = ""


def count_step(top: float, most: int = MOST_TICKS) -> int:
    """A step of 1, 2 or 5 times a power of ten with at most `most` steps up to `top`."""
    if top <= most:
        return 1
    raw = top / most
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if factor * power >= raw:
            return int(factor * power)
    return int(10 * power)  # pragma: no cover - the loop always returns


def count_ticks(top: float, most: int = MOST_TICKS) -> list[int]:
    """Whole numbers from 0 in a `count_step`, the last one at or above `top` (at least 1)."""
    step = count_step(max(top, 1), most)
    last = math.ceil(max(top, 1) / step) * step
    return list(range(0, last + 1, step))


def _local_days(lo: datetime, hi: datetime, zone: ZoneInfo) -> list[date]:
    first, last = lo.astimezone(zone).date(), hi.astimezone(zone).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _wall(day_: date, minutes: int, zone: ZoneInfo) -> datetime:
    """The instant of a wall-clock time; one that a change skips moves on by the change."""
    naive = datetime(day_.year, day_.month, day_.day) + timedelta(minutes=minutes)
    return naive.replace(tzinfo=zone).astimezone(UTC)


def time_ticks(
    lo: datetime, hi: datetime, zone: ZoneInfo, lang: str, most: int = MOST_TICKS
) -> list[tuple[datetime, str, str]]:
    """Instants between `lo` and `hi` at round local times (every 15 minutes up to every 4
    weeks, whichever gives at most `most`), each with its label and sublabel: times as `14:00`
    with the day under the first of each day when the axis spans several days, days as `29.4.`
    / `29 Apr`."""
    lo, hi = lo.astimezone(UTC), hi.astimezone(UTC)
    span = hi - lo
    step = next((s for s in TIME_STEPS if span / s <= most), TIME_STEPS[-1])
    days = _local_days(lo, hi, zone)
    if step < timedelta(days=1):
        minutes = int(step.total_seconds() // 60)
        candidates = sorted({_wall(d, m, zone) for d in days for m in range(0, 24 * 60, minutes)})
    else:
        every = step.days
        candidates = [_wall(d, 0, zone) for d in days if (d - days[0]).days % every == 0]
    instants = [c for c in candidates if lo <= c <= hi]
    ticks, seen_days = [], set()
    several_days = len(days) > 1
    for instant in instants:
        local = instant.astimezone(zone)
        if step >= timedelta(days=1):
            label = format_date(local.date(), AXIS_DAY_FORMATS[_locale(lang)], locale=_locale(lang))
            ticks.append((local, label, ""))
            continue
        sublabel = ""
        if several_days and local.date() not in seen_days:
            sublabel = format_date(
                local.date(), AXIS_DAY_FORMATS[_locale(lang)], locale=_locale(lang)
            )
        seen_days.add(local.date())
        ticks.append((local, clock(local), sublabel))
    return ticks


# -- charts -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Box:
    """The plot area inside the SVG."""

    left: float
    top: float
    right: float
    bottom: float

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def height(self) -> float:
        return self.bottom - self.top


def _number(value: float) -> str:
    """A coordinate as SVG writes it: one decimal at most."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _left_margin(top_value: int) -> float:
    return 10 + CHAR_WIDTH * len(str(top_value)) + 6


@dataclass(frozen=True)
class Line:
    """A polyline: `kind` names its style, `path` is the SVG `d`, `vertices` its data."""

    kind: str
    label: str
    path: str
    vertices: tuple[tuple[datetime, int], ...]


@dataclass(frozen=True)
class Marker:
    """A moment marked on the chart: as a point on the first line (`y`), or, with `y` None, as
    a rule across the plot (where the buckets' lines cannot say the value at that moment)."""

    x: float
    y: float | None
    label: str
    # Where the label goes, and how it is anchored (away from the plot's edges).
    label_x: float
    label_y: float
    anchor: str


@dataclass(frozen=True)
class Reference:
    """A horizontal line at a value (a session's seats)."""

    y: float
    label: str


@dataclass(frozen=True)
class LegendItem:
    kind: str
    label: str
    x: float
    y: float


@dataclass(frozen=True)
class LineChart:
    width: float
    height: float
    # The instants at the two ends of the time axis, in the chart's zone.
    starts: datetime
    ends: datetime
    plot: Box
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    lines: list[Line]
    markers: list[Marker]
    reference: Reference | None
    legend: list[LegendItem]


def value_at(vertices: tuple[tuple[datetime, int], ...], moment_: datetime) -> float:
    """The polyline's value at `moment_` (linear between vertices, flat outside them)."""
    moment_ = moment_.astimezone(UTC)
    if not vertices or moment_ <= vertices[0][0]:
        return vertices[0][1] if vertices else 0
    for (t0, v0), (t1, v1) in pairwise(vertices):
        if t0 <= moment_ <= t1:
            span = (t1 - t0).total_seconds()
            if span <= 0:
                return v1
            return v0 + (v1 - v0) * (moment_ - t0).total_seconds() / span
    return vertices[-1][1]


def cumulative_vertices(
    buckets: list, lo: datetime, hi: datetime
) -> tuple[tuple[datetime, int], ...]:
    """The running total through buckets (with `starts_at`, `ends_at`, `total`): 0 at `lo`,
    flat while nothing happens, rising through each bucket to its total at the bucket's end,
    flat to `hi`."""
    # In UTC: two local times of one zone compare by their wall-clock times.
    vertices = [(lo.astimezone(UTC), 0)]
    total = 0
    for bucket in buckets:
        starts = bucket.starts_at.astimezone(UTC)
        ends = min(bucket.ends_at.astimezone(UTC), max(hi.astimezone(UTC), starts))
        if starts > vertices[-1][0]:
            vertices.append((starts, total))
        total = bucket.total
        vertices.append((ends, total))
    if hi.astimezone(UTC) > vertices[-1][0]:
        vertices.append((hi.astimezone(UTC), total))
    return tuple(vertices)


def _marker(x: float, y: float | None, label: str, plot: Box) -> Marker:
    if y is None:
        # Beside the rule, at the top of the plot, on the side with room.
        right = x > plot.left + plot.width * 0.6
        return Marker(
            x, None, label, x - 4 if right else x + 4, plot.top + FONT, "end" if right else "start"
        )
    anchor = "middle"
    if x > plot.left + plot.width * 0.8:
        anchor = "end"
    elif x < plot.left + plot.width * 0.2:
        anchor = "start"
    return Marker(x, y, label, x, max(y - 9, plot.top - 2), anchor)


def line_chart(
    lines: list[tuple[str, str, list]],
    zone: ZoneInfo,
    lang: str,
    *,
    markers: list[tuple[datetime, str]] = (),
    rules: bool = False,
    reference: tuple[int, str] | None = None,
    width: float = WIDTH,
    height: float = LINE_HEIGHT,
) -> LineChart | None:
    """Cumulative counts over time. `lines`: (kind, label, buckets) each; `markers`: moments
    (with their label) marked as points on the first line, or with `rules` as rules across the
    plot; `reference`: a value (with its label) drawn across. None when no line has a
    bucket."""
    every = [b for _kind, _label, buckets in lines for b in buckets]
    if not every:
        return None
    lo = min(b.starts_at for b in every).astimezone(UTC)
    # The bucket of this hour (or day) ends in the future: the line stops at now.
    hi = min(max(b.ends_at for b in every).astimezone(UTC), max(utcnow(), lo))
    for at, _label in markers:
        lo, hi = min(lo, at.astimezone(UTC)), max(hi, at.astimezone(UTC))
    top = max([b.total for b in every] + [reference[0] if reference else 0])
    y_values = count_ticks(top)
    legend_rows = 1 if len(lines) > 1 else 0
    plot = Box(
        left=_left_margin(y_values[-1]),
        top=FONT * 2 + legend_rows * (FONT + 6),
        right=width - 14,
        bottom=height - FONT * 2 - 12,
    )
    x = TimeScale(lo, hi, plot.left, plot.right)
    y = LinearScale(0, y_values[-1], plot.bottom, plot.top)
    drawn = []
    for kind, label, buckets in lines:
        vertices = cumulative_vertices(buckets, lo, hi)
        path = "M" + " L".join(f"{_number(x(t))},{_number(y(v))}" for t, v in vertices)
        drawn.append(Line(kind, label, path, vertices))
    legend = []
    if legend_rows:
        at = plot.left
        for kind, label, _buckets in lines:
            legend.append(LegendItem(kind, label, at, FONT + 6))
            at += 28 + CHAR_WIDTH * len(label) + 14
    return LineChart(
        width=width,
        height=height,
        starts=lo.astimezone(zone),
        ends=hi.astimezone(zone),
        plot=plot,
        x_ticks=[Tick(x(t), label, sub) for t, label, sub in time_ticks(lo, hi, zone, lang)],
        y_ticks=[Tick(y(v), str(v)) for v in y_values],
        lines=drawn,
        markers=[
            _marker(x(at), None if rules else y(value_at(drawn[0].vertices, at)), label, plot)
            for at, label in markers
        ],
        reference=Reference(y(reference[0]), reference[1]) if reference else None,
        legend=legend,
    )


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: int
    starts_at: datetime


@dataclass(frozen=True)
class BarChart:
    width: float
    height: float
    plot: Box
    bars: list[Bar]
    x_ticks: list[Tick]
    y_ticks: list[Tick]


def bar_chart(
    buckets: list, *, width: float = WIDTH, height: float = BAR_HEIGHT
) -> BarChart | None:
    """Vertical bars of equal width for consecutive buckets (with `starts_at`, `count`), one
    gap of a fifth of a bar between them; the time axis labels full hours, few enough to read.
    None without buckets."""
    if not buckets:
        return None
    y_values = count_ticks(max(b.count for b in buckets))
    plot = Box(_left_margin(y_values[-1]), FONT * 2, width - 14, height - FONT * 2 - 4)
    slot = plot.width / len(buckets)
    y = LinearScale(0, y_values[-1], plot.bottom, plot.top)
    bars = [
        Bar(
            x=plot.left + i * slot + slot * 0.1,
            y=y(b.count),
            width=slot * 0.8,
            height=plot.bottom - y(b.count),
            value=b.count,
            starts_at=b.starts_at,
        )
        for i, b in enumerate(buckets)
    ]
    # Full hours, or the first bucket if none is one.
    hours = [i for i, b in enumerate(buckets) if b.starts_at.minute == 0] or [0]
    every = 1
    while len(hours[::every]) > MOST_TICKS + 1:
        every += 1
    x_ticks = [Tick(plot.left + i * slot, clock(buckets[i].starts_at)) for i in hours[::every]]
    return BarChart(
        width=width,
        height=height,
        plot=plot,
        bars=bars,
        x_ticks=x_ticks,
        y_ticks=[Tick(y(v), str(v)) for v in y_values],
    )


@dataclass(frozen=True)
class HBar:
    label: str
    full_label: str
    label_y: float
    y: float
    width: float
    value_label: str
    value_x: float
    full: bool


@dataclass(frozen=True)
class HBarChart:
    width: float
    height: float
    track_x: float
    track_width: float
    bar_height: float
    bars: list[HBar]


def hbar_chart(
    rows: list[tuple[str, float, str]],
    *,
    width: float = WIDTH,
    bar_height: float = 14,
) -> HBarChart | None:
    """Horizontal bars of fractions (1 = the whole track), one per row of (label, fraction,
    value label): the label on a line of its own above its bar (shortened to fit), the
    value label after the track; a fraction above 1 fills the track. None without rows."""
    if not rows:
        return None
    value_width = max(CHAR_WIDTH * len(value) for _l, _f, value in rows) + 8
    track_x = 4
    track_width = width - track_x - value_width - 4
    most_chars = int((width - 8) / CHAR_WIDTH)
    row_height = FONT + 6 + bar_height + 10
    bars = []
    for i, (label, fraction, value) in enumerate(rows):
        top = 6 + i * row_height
        share = min(max(fraction, 0.0), 1.0)
        bars.append(
            HBar(
                label=shorten(label, most_chars),
                full_label=label,
                label_y=top + FONT,
                y=top + FONT + 5,
                width=track_width * share,
                value_label=value,
                value_x=track_x + track_width + 6,
                full=fraction >= 1,
            )
        )
    return HBarChart(
        width=width,
        height=6 + len(rows) * row_height,
        track_x=track_x,
        track_width=track_width,
        bar_height=bar_height,
        bars=bars,
    )


@dataclass(frozen=True)
class SeriesRow:
    starts_at: datetime
    registrations: int
    registrations_total: int
    cancellations: int
    cancellations_total: int


def series_rows(registrations: list, cancellations: list) -> list[SeriesRow]:
    """The rows of a registrations chart's table: every bucket in which something happened
    (buckets with `starts_at`, `count`, `total`), with both counts and running totals."""
    by_start: dict[datetime, list] = {}
    for index, buckets in enumerate((registrations, cancellations)):
        for bucket in buckets:
            by_start.setdefault(bucket.starts_at.astimezone(UTC), [None, None])[index] = bucket
    rows, totals = [], [0, 0]
    for start in sorted(by_start):
        pair = by_start[start]
        for index, bucket in enumerate(pair):
            if bucket is not None:
                totals[index] = bucket.total
        first = pair[0] or pair[1]
        rows.append(
            SeriesRow(
                starts_at=first.starts_at,
                registrations=pair[0].count if pair[0] else 0,
                registrations_total=totals[0],
                cancellations=pair[1].count if pair[1] else 0,
                cancellations_total=totals[1],
            )
        )
    return rows
