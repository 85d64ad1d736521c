"""What libical (Evolution, GNOME Calendar) reads in iCalendar files, through libical-glib's
GObject introspection (Debian: gir1.2-ical-3.0, python3-gi). Run with the system's
/usr/bin/python3, not the project's venv, by tests/support/calendar_clients.py.

stdin: one .ics, or a JSON list of .ics texts. stdout: JSON, for each file
{"method", "errors", "events": [{uid, sequence, organizer, status, start, end, start_zone,
end_zone}]} (a list of them for a list). start/end are UTC instants that libical converted
itself (`icalcomponent_get_dtstart`, which looks the TZID up in the file's VTIMEZONEs first);
*_zone names the zone it used: the file's TZID, "UTC", or a "/freeassociation..." TZID when it
fell back to its built-in zones because the file's definition was missing. `errors` are what
libical's parser and its iTIP restriction check (`icalrestriction_check`, RFC 5546 per METHOD)
found, as X-LIC-ERROR properties; a file it cannot parse at all gives {"error": "..."}.
"""

from __future__ import annotations

import json
import sys

import gi

gi.require_version("ICalGLib", "3.0")
from gi.repository import ICalGLib as ICal  # noqa: E402

UTC_ZONE = ICal.Timezone.get_utc_timezone()


def utc(time, zone_name):
    if time is None or time.is_null_time():
        return None, None
    if time.is_utc():
        zone = "UTC"
    elif time.get_timezone() is None:
        return None, "floating"
    else:
        zone = time.get_timezone().get_tzid()
    instant = time.convert_to_zone(UTC_ZONE)
    text = (
        f"{instant.get_year():04d}-{instant.get_month():02d}-{instant.get_day():02d}T"
        f"{instant.get_hour():02d}:{instant.get_minute():02d}:{instant.get_second():02d}Z"
    )
    return text, zone


def components(parent, kind):
    child = parent.get_first_component(kind)
    while child is not None:
        yield child
        child = parent.get_next_component(kind)


def properties(component, kind):
    prop = component.get_first_property(kind)
    while prop is not None:
        yield prop
        prop = component.get_next_property(kind)


def first_value(component, kind):
    prop = component.get_first_property(kind)
    return None if prop is None else prop.get_value_as_string()


def errors(calendar):
    found = []

    def walk(component):
        found.extend(
            f"{component.kind_to_string(component.isa())}: {prop.get_xlicerror()}"
            for prop in properties(component, ICal.PropertyKind.XLICERROR_PROPERTY)
        )
        for child in components(component, ICal.ComponentKind.ANY_COMPONENT):
            walk(child)

    walk(calendar)
    return found


def read(text):
    calendar = ICal.Component.new_from_string(text)
    if calendar is None or calendar.isa() != ICal.ComponentKind.VCALENDAR_COMPONENT:
        return {"error": "libical parsed no VCALENDAR"}
    # Evolution checks an iTIP message against RFC 5546's table for its METHOD before it shows
    # it; the check adds X-LIC-ERROR properties, read below with the parser's.
    ICal.restriction_check(calendar)
    events = []
    for vevent in components(calendar, ICal.ComponentKind.VEVENT_COMPONENT):
        start, start_zone = utc(vevent.get_dtstart(), "dtstart")
        end, end_zone = utc(vevent.get_dtend(), "dtend")
        sequence = vevent.get_first_property(ICal.PropertyKind.SEQUENCE_PROPERTY)
        events.append(
            {
                "uid": vevent.get_uid(),
                "sequence": None if sequence is None else vevent.get_sequence(),
                "organizer": first_value(vevent, ICal.PropertyKind.ORGANIZER_PROPERTY),
                "status": first_value(vevent, ICal.PropertyKind.STATUS_PROPERTY),
                "start": start,
                "end": end,
                "start_zone": start_zone,
                "end_zone": end_zone,
            }
        )
    return {
        "method": first_value(calendar, ICal.PropertyKind.METHOD_PROPERTY),
        "errors": errors(calendar),
        "events": events,
    }


def main():
    text = sys.stdin.read()
    if text.lstrip().startswith("["):
        result = [read(document) for document in json.loads(text)]
    else:
        result = read(text)
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
