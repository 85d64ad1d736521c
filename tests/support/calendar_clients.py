"""Calendar files read as calendar software reads them: ical.js (Thunderbird, Nextcloud Calendar)
under Node, libical (Evolution, GNOME Calendar) under the system's Python, and the Python
libraries the project uses (icalendar, vobject, ical). Each reader gives, per file, a
`ReadCalendar`: the METHOD, every VEVENT with its UTC start and end as that client resolved them,
and what the client complained about."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import icalendar
import vobject
from ical.calendar_stream import IcsCalendarStream

SUPPORT = Path(__file__).resolve().parent
ICALJS_SCRIPT = SUPPORT / "icaljs_times.mjs"
LIBICAL_SCRIPT = SUPPORT / "libical_times.py"
# libical's GObject introspection is a Debian package for the system's Python, not a wheel.
SYSTEM_PYTHON = "/usr/bin/python3"
TIMEOUT = 30


@dataclass(frozen=True)
class ReadEvent:
    uid: str
    sequence: int | None
    organizer: str | None
    status: str | None
    start: datetime | None
    end: datetime | None
    # The zone the client resolved DTSTART/DTEND in ("UTC", the file's TZID, ...), when it says.
    zones: tuple[str | None, ...] = ()


@dataclass(frozen=True)
class ReadCalendar:
    method: str | None
    events: list[ReadEvent]
    errors: list[str] = field(default_factory=list)

    def times(self) -> dict[str, tuple[datetime | None, datetime | None]]:
        return {event.uid: (event.start, event.end) for event in self.events}


def _instant(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text).astimezone(UTC)


def _from_json(result: dict) -> ReadCalendar:
    if "error" in result:
        return ReadCalendar(None, [], [result["error"]])
    return ReadCalendar(
        result["method"],
        [
            ReadEvent(
                uid=event["uid"],
                sequence=event["sequence"],
                organizer=event["organizer"],
                status=event["status"],
                start=_instant(event["start"]),
                end=_instant(event["end"]),
                zones=(event["start_zone"], event["end_zone"]),
            )
            for event in result["events"]
        ],
        result.get("errors", []),
    )


def _run(command: list[str], documents: list[str]) -> list[ReadCalendar]:
    """One process reads every document (a JSON list on stdin): far faster than one each."""
    completed = subprocess.run(
        command,
        input=json.dumps(documents),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        # ical.js falls back to the machine's zone for a TZID it cannot resolve; in UTC such a
        # misreading shows as a wrong instant instead of depending on where the tests run.
        env={"TZ": "UTC", "PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"},
        check=False,
    )
    if completed.returncode != 0:
        raise AssertionError(f"{command[0]} failed:\n{completed.stderr}")
    return [_from_json(result) for result in json.loads(completed.stdout)]


def icaljs_missing() -> str | None:
    """Why ical.js cannot run here, or None."""
    if shutil.which("node") is None:
        return "ical.js needs Node.js (`node`), which is not installed (apt install nodejs)"
    return None


def libical_missing() -> str | None:
    """Why libical cannot run here, or None."""
    if not Path(SYSTEM_PYTHON).exists():
        return f"libical is read through {SYSTEM_PYTHON}, which does not exist"
    probe = subprocess.run(
        [
            SYSTEM_PYTHON,
            "-c",
            "import gi; gi.require_version('ICalGLib', '3.0'); from gi.repository import ICalGLib",
        ],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    if probe.returncode != 0:
        return (
            "libical's GObject introspection is not installed "
            "(apt install gir1.2-ical-3.0 python3-gi): " + probe.stderr.strip().splitlines()[-1]
        )
    return None


def read_with_icaljs(documents: list[str]) -> list[ReadCalendar]:
    return _run(["node", str(ICALJS_SCRIPT)], documents)


def read_with_libical(documents: list[str]) -> list[ReadCalendar]:
    return _run([SYSTEM_PYTHON, str(LIBICAL_SCRIPT)], documents)


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        raise AssertionError(f"floating time {moment} (no zone resolved)")
    return moment.astimezone(UTC)


def _text(value) -> str | None:
    return None if value is None else str(value)


def _read_icalendar(document: str) -> ReadCalendar:
    calendar = icalendar.Calendar.from_ical(document)
    errors = [f"{c.name}: {error}" for c in calendar.walk() for error in c.errors]
    events = [
        ReadEvent(
            uid=str(vevent["uid"]),
            sequence=vevent.get("sequence"),
            organizer=_text(vevent.get("organizer")),
            status=_text(vevent.get("status")),
            start=_utc(vevent.start),
            end=_utc(vevent.end),
        )
        for vevent in calendar.walk("VEVENT")
    ]
    return ReadCalendar(_text(calendar.get("method")), events, errors)


def _read_vobject(document: str) -> ReadCalendar:
    calendar = vobject.readOne(document)
    errors = [] if calendar.validate() else ["vobject: not valid"]

    def value(vevent, name):
        return getattr(vevent, name).value if name in vevent.contents else None

    events = [
        ReadEvent(
            uid=vevent.uid.value,
            sequence=None if value(vevent, "sequence") is None else int(vevent.sequence.value),
            organizer=value(vevent, "organizer"),
            status=value(vevent, "status"),
            start=_utc(vevent.dtstart.value),
            end=_utc(vevent.dtend.value),
        )
        for vevent in calendar.contents.get("vevent", [])
    ]
    return ReadCalendar(value(calendar, "method"), events, errors)


def _read_ical(document: str) -> ReadCalendar:
    calendar = IcsCalendarStream.calendar_from_ics(document)
    events = [
        ReadEvent(
            uid=event.uid,
            sequence=event.sequence,
            organizer=None if event.organizer is None else event.organizer.uri,
            status=None if event.status is None else str(event.status.value),
            start=_utc(event.dtstart),
            end=_utc(event.end),
        )
        for event in calendar.events
    ]
    return ReadCalendar(None, events)


PYTHON_READERS = {
    "icalendar": _read_icalendar,
    "vobject": _read_vobject,
    "ical": _read_ical,
}


def read_with_python(client: str, documents: list[str]) -> list[ReadCalendar]:
    return [PYTHON_READERS[client](document) for document in documents]


PYTHON_CLIENTS = tuple(PYTHON_READERS)
CLIENTS = ("ical.js", "libical", *PYTHON_CLIENTS)


def missing(client: str) -> str | None:
    """Why `client` cannot run here, or None."""
    if client == "ical.js":
        return icaljs_missing()
    if client == "libical":
        return libical_missing()
    return None


def read_with(client: str, documents: list[str]) -> list[ReadCalendar]:
    """Every document as `client` reads it, in order."""
    if client == "ical.js":
        return read_with_icaljs(documents)
    if client == "libical":
        return read_with_libical(documents)
    return read_with_python(client, documents)
