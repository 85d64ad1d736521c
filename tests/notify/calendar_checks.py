"""Every calendar the service produces must satisfy three independent parsers."""

from __future__ import annotations

import icalendar
import vobject
from ical.calendar_stream import IcsCalendarStream


def assert_valid_calendar(body: bytes | str) -> icalendar.Calendar:
    text = body.decode() if isinstance(body, bytes) else body
    calendar = icalendar.Calendar.from_ical(text)
    for component in calendar.walk():
        assert component.errors == [], f"{component.name}: {component.errors}"
    IcsCalendarStream.calendar_from_ics(text)
    parsed = vobject.readOne(text)
    assert parsed.validate()
    return calendar


def events_of(calendar: icalendar.Calendar) -> list[icalendar.Event]:
    return list(calendar.walk("VEVENT"))
