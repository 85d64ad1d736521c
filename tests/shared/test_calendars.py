"""Times in calendar files: local with their zone, UTC where the local time is ambiguous."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import icalendar
import pytest

from shared.calendars import calendar_time

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize(
    ("moment", "written"),
    [
        # 02:15 happens twice on 27 October 2030: first in summer time, then in winter time.
        ("2030-10-27T00:15:00+00:00", "20301027T001500Z"),
        ("2030-10-27T01:15:00+00:00", "20301027T011500Z"),
        ("2030-10-27T02:15:00+00:00", "20301027T031500"),
        ("2030-07-06T12:45:00+00:00", "20300706T144500"),
        # The hour skipped in spring is no problem: every moment has one local time.
        ("2030-03-31T01:30:00+00:00", "20300331T033000"),
    ],
)
def test_ambiguous_local_times_are_written_in_utc(moment, written):
    vevent = icalendar.Event()
    vevent.add("dtstart", calendar_time(datetime.fromisoformat(moment), BERLIN))
    line = vevent.to_ical().decode().split("DTSTART")[1].split("\r\n")[0]
    assert line.endswith(":" + written)
    assert ("TZID=Europe/Berlin" in line) == (not written.endswith("Z"))
    assert vevent.decoded("dtstart").astimezone(UTC) == datetime.fromisoformat(moment)
