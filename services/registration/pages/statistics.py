"""Organiser pages of the registration service: statistics of the event and of each session,
as SVG charts drawn on the server (readable without JavaScript) with their figures in tables.
Figures only, no personal data: the `viewer` role reads them (`statistics.read`)."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby
from zoneinfo import ZoneInfo

from flask import render_template
from flask_babel import gettext as _
from flask_babel import ngettext

from services.registration import charts, statistics
from services.registration.pages import pages
from services.registration.pages.common import load_event
from shared.pages import current_language
from shared.pages.organisers import organiser_login_required
from shared.web import db_session


@dataclass(frozen=True)
class Formats:
    """Days, times and shares in the page's language (24-hour clock in both)."""

    lang: str

    def moment(self, value) -> str:
        return charts.moment(value, self.lang) if value is not None else "–"

    def day(self, value) -> str:
        return charts.day(value, self.lang)

    def short_day(self, value) -> str:
        return charts.short_day(value, self.lang)

    def clock(self, value) -> str:
        return charts.clock(value)

    def percent(self, value) -> str:
        return charts.percent(value, self.lang)


def reason_labels() -> dict[str, str]:
    """The reasons of a cancellation (`CANCEL_REASONS`) as the page says them."""
    return {
        "attendee": _("by the attendee"),
        "organiser": _("by the organisers"),
        "hold_expired": _("email address not confirmed in time"),
        "no_show": _("not checked in in time (seat released)"),
        "session_cancelled": _("session cancelled"),
    }


def _over_time_chart(series, zone, lang, *, markers=(), rules=False, reference=None):
    return charts.line_chart(
        [
            ("registrations", _("Registrations"), series.registrations),
            ("cancellations", _("Cancellations"), series.cancellations),
        ],
        zone,
        lang,
        markers=list(markers),
        rules=rules,
        reference=reference,
    )


def _checkin_days(buckets) -> list[dict]:
    """One bar chart per day with check-ins: the day, its buckets, the chart."""
    days = []
    for day, group in groupby(buckets, key=lambda b: b.starts_at.date()):
        day_buckets = list(group)
        days.append({"day": day, "buckets": day_buckets, "chart": charts.bar_chart(day_buckets)})
    return days


@pages.get("/<event>/organiser/statistics")
@organiser_login_required("statistics.read")
def organiser_statistics(event: str):
    found = load_event(event)
    stats = statistics.event_statistics(db_session(), event)
    lang = current_language()
    zone = ZoneInfo(stats.timezone)
    filled = [s for s in stats.sessions if s.filled_at is not None]
    with_capacity = [s for s in stats.sessions if s.capacity]
    fill_chart = charts.hbar_chart(
        [
            (s.display_title(lang), s.fill_rate, f"{s.figures.seated}/{s.capacity}")
            for s in with_capacity
        ]
    )
    return render_template(
        "pages/organiser/statistics.html",
        event=found,
        stats=stats,
        fmt=Formats(lang),
        reasons=reason_labels(),
        filled=filled,
        fill_numbers={s.session: n for n, s in enumerate(filled, 1)},
        series_rows=charts.series_rows(
            stats.over_time.registrations, stats.over_time.cancellations
        ),
        over_time=_over_time_chart(
            stats.over_time,
            zone,
            lang,
            markers=[(s.filled_at, str(n)) for n, s in enumerate(filled, 1)],
        ),
        fill_chart=fill_chart,
        checkin_days=_checkin_days(stats.checkins),
        nav_current="organiser",
    )


@pages.get("/<event>/organiser/statistics/sessions/<int:session_id>")
@organiser_login_required("statistics.read")
def organiser_session_statistics(event: str, session_id: int):
    found = load_event(event)
    stats = statistics.session_statistics(db_session(), event, session_id)
    lang = current_language()
    zone = ZoneInfo(found.timezone)
    fmt = Formats(lang)
    markers = []
    if stats.filled_at is not None:
        markers.append(
            (stats.filled_at, _("full: %(time)s", time=charts.axis_moment(stats.filled_at, lang)))
        )
    reference = None
    if stats.capacity:
        reference = (stats.capacity, ngettext("%(num)d seat", "%(num)d seats", stats.capacity))
    return render_template(
        "pages/organiser/statistics_session.html",
        event=found,
        stats=stats,
        fmt=fmt,
        reasons=reason_labels(),
        over_time=_over_time_chart(
            stats.over_time, zone, lang, markers=markers, rules=True, reference=reference
        ),
        series_rows=charts.series_rows(
            stats.over_time.registrations, stats.over_time.cancellations
        ),
        checkin_days=_checkin_days(stats.checkins),
        nav_current="organiser",
    )
