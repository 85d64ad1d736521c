"""What every iCalendar file of the platform shares."""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar

# An event's day runs from 04:00 local time to 03:59 the next morning (frab's convention), so
# a session at 01:00 belongs to the evening before: in day feeds, the frab exports and the
# organiser's overview alike.
DAY_CHANGE = time(4, 0)


def event_day(moment: datetime, zone: ZoneInfo) -> date:
    """The event day `moment` belongs to in `zone`: before DAY_CHANGE it is the day before."""
    local = moment.astimezone(zone)
    if local.time() < DAY_CHANGE:
        return local.date() - timedelta(days=1)
    return local.date()


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


def calendar_time(moment: datetime, zone: ZoneInfo) -> datetime:
    """`moment` as a calendar writes it: local time in `zone` (with TZID), or UTC when that
    local time is ambiguous. In the hour repeated when summer time ends, 02:15 happens twice;
    written as TZID local time both would be read as the same one, an hour off for one."""
    local = moment.astimezone(zone)
    if local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset():
        return moment.astimezone(UTC)
    return local
