"""What every iCalendar file of the platform shares."""

from __future__ import annotations

import functools
from datetime import date
from zoneinfo import ZoneInfo

import icalendar


@functools.lru_cache(maxsize=32)
def vtimezone(timezone: str, first_year: int, last_year: int) -> icalendar.Timezone:
    """The VTIMEZONE of the given years only, built once per process (working out the
    transitions costs more than the rest of an invitation).

    Not `Calendar.add_missing_timezones()`: that covers 1970-2038 with RDATE lists, of which
    ical.js (Thunderbird, Nextcloud) reads only the first value, so summer times come out an
    hour late there."""
    return icalendar.Timezone.from_tzinfo(
        ZoneInfo(timezone), first_date=date(first_year, 1, 1), last_date=date(last_year + 1, 1, 1)
    )
