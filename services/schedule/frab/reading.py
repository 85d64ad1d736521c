"""A frab schedule.xml / schedule.json (pretalx, frab, ours) read as a programme document."""

from __future__ import annotations

import json
import re
import uuid
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from marshmallow import ValidationError

from services.schedule.frab.conventions import (
    CANCELLED_PREFIX,
    COLOR,
    GENERATOR,
    GUID_NAMESPACE,
    LIVESTREAM_TITLE,
    REGISTRATION_EXTERNAL_TITLE,
    REGISTRATION_NONE_TITLE,
    TRACK_SEPARATOR,
    slugify,
)
from services.schedule.programme_format import FORMAT, load_programme_document
from shared.calendars import DAY_CHANGE
from shared.links import link_problem
from shared.messages.schedule import SESSION_CANCELLED, SESSION_SCHEDULED

DEFAULT_TIMEZONE = "Europe/Berlin"
# As the programme document takes it (`programme_format.SpeakerDocument`).
MAX_BIOGRAPHY = 5_000

_OUR_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_DURATION = re.compile(r"^(\d+):([0-5]?\d)(?::([0-5]?\d))?$")
# The title `export._registration_link` writes for a required registration.
_REQUIRED = re.compile(
    r"^Anmeldung erforderlich(?: \((\d+) Plätze\))? / Registration required(?: \(\d+ seats\))?$"
)


class FrabFormatError(ValueError):
    """A file that is not a usable frab schedule.xml / schedule.json; the message says why."""


def parse_frab(content: bytes, filename: str) -> dict:
    """A frab schedule.xml / schedule.json (pretalx, frab, ours) as a loaded programme document,
    with `warnings`: what was left out (links that may not be published) and why.

    Raises FrabFormatError (a ValueError) with a readable message for anything unusable.
    """
    if isinstance(content, str):
        content = content.encode()
    kind = _detect_kind(content, filename)
    reader = _read_xml if kind == "xml" else _read_json
    raw = reader(content, filename)
    warnings = raw.pop("warnings")
    try:
        return load_programme_document(raw) | {"warnings": warnings}
    except ValidationError as error:
        raise FrabFormatError(
            f"{filename}: the schedule does not make a valid programme: {_flatten(error.messages)}"
        ) from error


def _detect_kind(content: bytes, filename: str) -> str:
    lower = filename.lower()
    if lower.endswith(".xml"):
        return "xml"
    if lower.endswith(".json"):
        return "json"
    start = content.lstrip()[:1]
    if start == b"<":
        return "xml"
    if start in (b"{", b"["):
        return "json"
    raise FrabFormatError(f"{filename}: neither a schedule.xml nor a schedule.json")


class _Reader:
    """Collects a conference's sessions in a format-neutral way and builds the document."""

    def __init__(self, filename: str, ours: bool):
        self.filename = filename
        self.ours = ours
        self.stages: dict[str, dict] = {}
        self.tracks: dict[str, dict] = {}
        self.track_names: dict[str, str] = {}  # name -> slug
        self.sessions: list[dict] = []
        self.acronym = ""
        self.event: dict = {}
        self.zone = ZoneInfo(DEFAULT_TIMEZONE)
        self.warnings: list[str] = []

    def fail(self, where: str, problem: str) -> FrabFormatError:
        return FrabFormatError(f"{self.filename}: {where}: {problem}")

    def link(self, url, where: str) -> str:
        """An address from the file if it may be published as a link, else "" and a warning:
        one bad link in another tool's export should not stop the whole programme."""
        url = _string(url)
        problem = link_problem(url) if url else None
        if problem is None:
            return url
        self.warnings.append(f"{self.filename}: {where}: link {url[:100]!r} left out: {problem}")
        return ""

    def set_conference(self, *, acronym, title, zone_name, start, end, url) -> None:
        """The conference's data as the file has it (checked here: files may have anything)."""
        if not acronym or not isinstance(acronym, str):
            raise self.fail("conference", "no acronym")
        self.acronym = acronym
        if not title or not isinstance(title, str):
            raise self.fail("conference", "no title")
        zone_name = zone_name or DEFAULT_TIMEZONE
        try:
            self.zone = ZoneInfo(zone_name)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise self.fail(
                "conference/time_zone_name", f"unknown time zone {zone_name!r}"
            ) from error
        self.event = {
            "slug": _our_slug(acronym),
            "title": title.strip(),
            "timezone": zone_name,
            "locale": "de",
            "starts_on": self.parse_date(start, "conference/start") if start else None,
            "ends_on": self.parse_date(end, "conference/end") if end else None,
            "url": self.link(url, "conference/url"),
        }

    def add_track(self, name: str, slug: str | None, color: str | None) -> str:
        if name in self.track_names:
            return self.track_names[name]
        slug = slug if slug and _OUR_SLUG.match(slug) else slugify(name)[:63] or "track"
        base, number = slug, 1
        while slug in self.tracks:
            number += 1
            slug = f"{base[:58]}-{number}"
        self.tracks[slug] = {
            "slug": slug,
            "name": name[:100],
            "color": color if color and COLOR.match(color) else "",
        }
        self.track_names[name] = slug
        return slug

    def stage(self, name: str, guid: str | None, where: str) -> dict:
        if not name:
            raise self.fail(where, "a room without a name")
        if name not in self.stages:
            # Some pretalx exports give every room the same guid; a stage needs its own.
            if not guid or any(stage["guid"] == guid for stage in self.stages.values()):
                guid = str(uuid.uuid5(GUID_NAMESPACE, f"{self.acronym}/room/{name}"))
            self.stages[name] = {
                "guid": guid,
                "name": name,
                "address": "",
                "capacity": None,
                "stream_url": "",
            }
        return self.stages[name]

    def add_session(self, where: str, room: dict, day_date: date | None, fields: dict) -> None:
        frab_id = fields.get("id")
        guid = fields.get("guid") or None
        if not guid:
            if frab_id in (None, ""):
                raise self.fail(where, "an event with neither guid nor id")
            guid = str(uuid.uuid5(GUID_NAMESPACE, f"{self.acronym}/event/{frab_id}"))
        where = f"{where} (guid {guid})"
        title = fields.get("title")
        if not isinstance(title, str) or not title.strip():
            raise self.fail(where, "no title")
        status = SESSION_SCHEDULED
        if title.startswith(CANCELLED_PREFIX):
            title, status = title[len(CANCELLED_PREFIX) :], SESSION_CANCELLED
        starts_at = self._start(fields, day_date, where)
        ends_at = self._end(fields, starts_at, where)

        subtitle = _string(fields.get("subtitle"))
        abstract = _string(fields.get("abstract"))
        description = _string(fields.get("description"))
        title_en, abstract_en = "", ""
        if self.ours:
            title_en, abstract_en = subtitle, description
        else:
            abstract = "\n\n".join(p for p in (subtitle, abstract, description) if p)

        links = fields.get("links") or []
        livestream = next((link for link in links if link["title"] == LIVESTREAM_TITLE), None)
        streamed = livestream is not None
        do_not_stream = fields.get("do_not_stream")
        if isinstance(do_not_stream, bool):
            streamed = not do_not_stream

        self.sessions.append(
            {
                "guid": guid,
                "title": title.strip(),
                "title_en": title_en,
                "abstract": abstract,
                "abstract_en": abstract_en,
                "type": (_string(fields.get("type")) or "talk")[:50],
                "language": (_string(fields.get("language")) or "de")[:10],
                "tracks": self._tracks(_string(fields.get("track"))),
                "stage": room["guid"],
                "starts_at": starts_at.isoformat(),
                "ends_at": ends_at.isoformat(),
                "speakers": [self._speaker(person) for person in fields.get("persons") or []],
                "streamed": streamed,
                "livestream_url": self.link(livestream["url"], f"{where}, livestream")
                if livestream
                else "",
                "registration": _registration_from(links, room),
                "status": status,
            }
        )

    def _speaker(self, person: dict) -> dict:
        # pretalx's schedule.xml has person ids but no guids; keep re-imports on the same person.
        key = person.pop("key", None)
        if not person["guid"] and key not in (None, ""):
            person["guid"] = str(uuid.uuid5(GUID_NAMESPACE, f"{self.acronym}/person/{key}"))
        return person

    def _tracks(self, track: str) -> list[str]:
        if not track:
            return []
        if track in self.track_names:
            return [self.track_names[track]]
        parts = track.split(TRACK_SEPARATOR)
        if len(parts) > 1 and all(part in self.track_names for part in parts):
            return [self.track_names[part] for part in parts]
        return [self.add_track(track, None, None)]

    def _start(self, fields: dict, day_date: date | None, where: str) -> datetime:
        value = fields.get("date")
        if isinstance(value, str) and "T" in value:
            return self._datetime(value, f"{where}/date").astimezone(self.zone)
        start = _string(fields.get("start"))
        if day_date is None or not re.match(r"^\d{1,2}:\d{2}(:\d{2})?$", start):
            raise self.fail(where, "no start time (neither 'date' nor day + 'start')")
        hours, minutes = (int(part) for part in start.split(":")[:2])
        if hours > 23 or minutes > 59:
            raise self.fail(f"{where}/start", f"not a time of day: {start!r}")
        local_date = day_date + timedelta(days=1) if time(hours, minutes) < DAY_CHANGE else day_date
        return datetime.combine(local_date, time(hours, minutes), self.zone)

    def _end(self, fields: dict, starts_at: datetime, where: str) -> datetime:
        duration = _string(fields.get("duration"))
        match = _DURATION.match(duration)
        if match:
            hours, minutes = int(match.group(1)), int(match.group(2))
            elapsed = timedelta(hours=hours, minutes=minutes)
        elif isinstance(fields.get("end"), str):
            end = self._datetime(fields["end"], f"{where}/end")
            if end <= starts_at:
                raise self.fail(f"{where}/end", "must be after the start")
            return end.astimezone(self.zone)
        else:
            raise self.fail(f"{where}/duration", f"not a duration like 01:30: {duration!r}")
        if elapsed <= timedelta(0):
            raise self.fail(f"{where}/duration", "must be longer than 0 minutes")
        return (starts_at.astimezone(UTC) + elapsed).astimezone(self.zone)

    def _datetime(self, value: str, where: str) -> datetime:
        """An ISO 8601 date and time; without an offset it is local time of the conference."""
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError as error:
            raise self.fail(where, f"not a date and time: {value!r}") from error
        return moment if moment.tzinfo else moment.replace(tzinfo=self.zone)

    def parse_date(self, value, where: str) -> date:
        if not isinstance(value, str):
            raise self.fail(where, f"not a date: {value!r}")
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError as error:
            raise self.fail(where, f"not a date: {value!r}") from error

    def document(self) -> dict:
        if not self.sessions:
            raise FrabFormatError(f"{self.filename}: the schedule has no events")
        seen = Counter(session["guid"] for session in self.sessions)
        duplicates = sorted(guid for guid, count in seen.items() if count > 1)
        if duplicates:
            raise FrabFormatError(f"{self.filename}: events share a guid: {', '.join(duplicates)}")
        self._settle_stage_defaults()
        days = [date.fromisoformat(s["starts_at"][:10]) for s in self.sessions]
        event = dict(self.event)
        event["starts_on"] = event["starts_on"] or min(days)
        event["ends_on"] = event["ends_on"] or max(days)
        event["starts_on"] = event["starts_on"].isoformat()
        event["ends_on"] = event["ends_on"].isoformat()
        return {
            "format": FORMAT,
            "event": event,
            "stages": list(self.stages.values()),
            "tracks": list(self.tracks.values()),
            "sessions": self.sessions,
            "warnings": self.warnings,
        }

    def _settle_stage_defaults(self) -> None:
        """A stage's most common session capacity and stream link become the stage's own.

        That gives back the stage-level values a file from our own export was made of (its
        sessions then say "the stage's" and only exceptions keep their own), and a tidy draft
        for files of other tools.
        """
        for stage in self.stages.values():
            sessions = [s for s in self.sessions if s["stage"] == stage["guid"]]
            required = [
                s["registration"] for s in sessions if s["registration"]["mode"] == "required"
            ]
            if stage["capacity"] is None:
                stage["capacity"] = _most_common(r["capacity"] for r in required)
            for registration in required:
                if registration["capacity"] == stage["capacity"]:
                    registration["capacity"] = None
            stage["stream_url"] = _most_common(s["livestream_url"] for s in sessions) or ""
            for session in sessions:
                if session["livestream_url"] == stage["stream_url"]:
                    session["livestream_url"] = ""


def _most_common(values):
    """The most frequent of the values that are set (ties: the smallest), else None."""
    counts = Counter(value for value in values if value not in (None, ""))
    if not counts:
        return None
    return min(counts, key=lambda value: (-counts[value], value))


def _registration_from(links: list[dict], room: dict) -> dict:
    """Registration as our export wrote it into the links, else DESIGN.md §3: capacity -> required."""
    for link in links:
        required = _REQUIRED.match(link["title"])
        if required:
            capacity = int(required.group(1)) if required.group(1) else None
            return {"mode": "required", "capacity": capacity, "external": None}
        if link["title"] == REGISTRATION_EXTERNAL_TITLE and link["url"]:
            target = link["url"].removeprefix("mailto:")
            return {"mode": "external", "capacity": None, "external": target}
        if link["title"] == REGISTRATION_NONE_TITLE:
            return {"mode": "none", "capacity": None, "external": None}
    if room["capacity"] is not None:
        return {"mode": "required", "capacity": None, "external": None}
    return {"mode": "none", "capacity": None, "external": None}


def _our_slug(acronym: str) -> str:
    slug = re.sub(r"[^a-z0-9-]+", "-", acronym.lower().replace("_", "-")).strip("-")[:63]
    return slug or "event"


def _string(value) -> str:
    return value.replace("\r\n", "\n").strip() if isinstance(value, str) else ""


def _flatten(messages, prefix: str = "") -> str:
    if isinstance(messages, dict):
        return "; ".join(
            _flatten(value, f"{prefix}.{key}" if prefix else str(key))
            for key, value in messages.items()
        )
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return f"{prefix}: {' '.join(messages)}"
    if isinstance(messages, list):
        return "; ".join(_flatten(m, prefix) for m in messages)
    return f"{prefix}: {messages}"


# --- schedule.xml ------------------------------------------------------------------------------


def _read_xml(content: bytes, filename: str) -> dict:
    try:
        root = ET.fromstring(content)
    except ET.ParseError as error:
        raise FrabFormatError(f"{filename}: not well-formed XML: {error}") from error
    if root.tag != "schedule":
        raise FrabFormatError(f"{filename}: the root element is <{root.tag}>, not <schedule>")
    generator = root.find("generator")
    reader = _Reader(filename, ours=generator is not None and generator.get("name") == GENERATOR)
    conference = root.find("conference")
    if conference is None:
        raise FrabFormatError(f"{filename}: no <conference> element")
    reader.set_conference(
        acronym=_xml_text(conference, "acronym"),
        title=_xml_text(conference, "title"),
        zone_name=_xml_text(conference, "time_zone_name"),
        start=_xml_text(conference, "start"),
        end=_xml_text(conference, "end"),
        url=_xml_text(conference, "url"),
    )
    for track in conference.findall("track"):
        if track.get("name"):
            reader.add_track(track.get("name"), track.get("slug"), track.get("color"))
    days = root.findall("day")
    if not days:
        raise FrabFormatError(f"{filename}: no <day> elements")
    for day_number, day in enumerate(days, start=1):
        where = f"day {day.get('index') or day_number}"
        day_date = reader.parse_date(day.get("date"), where) if day.get("date") else None
        for room_element in day.findall("room"):
            room_where = f"{where}, room {room_element.get('name')!r}"
            room = reader.stage(room_element.get("name"), room_element.get("guid"), room_where)
            for position, event in enumerate(room_element.findall("event"), start=1):
                reader.add_session(
                    f"{room_where}, event {event.get('id') or position}",
                    room,
                    day_date,
                    _xml_event_fields(event),
                )
    return reader.document()


def _xml_event_fields(event: ET.Element) -> dict:
    fields = {
        name: _xml_text(event, name)
        for name in (
            "date",
            "start",
            "duration",
            "title",
            "subtitle",
            "track",
            "type",
            "language",
            "abstract",
            "description",
        )
    }
    fields["id"] = event.get("id")
    fields["guid"] = event.get("guid")
    fields["persons"] = [
        _speaker(person.text, person.get("guid"), key=person.get("id"))
        for person in event.findall("persons/person")
        if (person.text or "").strip()
    ]
    fields["links"] = [
        {"title": (link.text or "").strip(), "url": link.get("href") or ""}
        for link in event.findall("links/link")
    ]
    return fields


def _xml_text(parent: ET.Element, tag: str) -> str:
    element = parent.find(tag)
    return (element.text or "").strip() if element is not None else ""


# --- schedule.json -----------------------------------------------------------------------------


def _read_json(content: bytes, filename: str) -> dict:
    try:
        document = json.loads(content)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise FrabFormatError(f"{filename}: not valid JSON: {error}") from error
    schedule = document.get("schedule") if isinstance(document, dict) else None
    conference = schedule.get("conference") if isinstance(schedule, dict) else None
    if not isinstance(conference, dict):
        raise FrabFormatError(f"{filename}: no schedule.conference object")
    generator = document.get("generator")
    ours = isinstance(generator, dict) and generator.get("name") == GENERATOR
    reader = _Reader(filename, ours=ours)
    reader.set_conference(
        acronym=conference.get("acronym"),
        title=conference.get("title"),
        zone_name=conference.get("time_zone_name"),
        start=conference.get("start"),
        end=conference.get("end"),
        url=conference.get("url") or schedule.get("url") or "",
    )
    for index, track in enumerate(_json_list(conference, "tracks", filename)):
        if not isinstance(track, dict) or not isinstance(track.get("name"), str):
            raise reader.fail(f"conference.tracks[{index}]", "a track without a name")
        reader.add_track(track["name"], track.get("slug"), track.get("color"))
    for index, room in enumerate(_json_list(conference, "rooms", filename)):
        where = f"conference.rooms[{index}]"
        if not isinstance(room, dict) or not isinstance(room.get("name"), str):
            raise reader.fail(where, "a room without a name")
        stage = reader.stage(room["name"], _string(room.get("guid")) or None, where)
        capacity = room.get("capacity")
        if capacity is not None:
            if isinstance(capacity, bool) or not isinstance(capacity, int | float) or capacity < 0:
                raise reader.fail(f"{where}.capacity", f"not a number of seats: {capacity!r}")
            stage["capacity"] = int(capacity)
        if isinstance(room.get("description"), str):
            stage["address"] = room["description"].strip()[:300]
    days = _json_list(conference, "days", filename)
    if not days:
        raise FrabFormatError(f"{filename}: schedule.conference.days is empty")
    for day_index, day in enumerate(days):
        where = f"conference.days[{day_index}]"
        if not isinstance(day, dict) or not isinstance(day.get("rooms"), dict):
            raise reader.fail(where, "a day without a rooms object")
        day_date = reader.parse_date(day["date"], f"{where}.date") if day.get("date") else None
        for room_name, events in day["rooms"].items():
            room_where = f"{where}.rooms[{room_name!r}]"
            if not isinstance(events, list):
                raise reader.fail(room_where, "not a list of events")
            room = reader.stage(room_name, None, room_where)
            for event_index, event in enumerate(events):
                event_where = f"{room_where}[{event_index}]"
                if not isinstance(event, dict):
                    raise reader.fail(event_where, "not an event object")
                reader.add_session(event_where, room, day_date, _json_event_fields(event))
    return reader.document()


def _json_list(parent: dict, key: str, filename: str) -> list:
    value = parent.get(key) or []
    if not isinstance(value, list):
        raise FrabFormatError(f"{filename}: schedule.conference.{key} is not a list")
    return value


def _json_event_fields(event: dict) -> dict:
    fields = dict(event)
    fields["guid"] = _string(event.get("guid"))
    persons = event.get("persons") or []
    fields["persons"] = [
        _speaker(
            person.get("name") or person.get("public_name"),
            person.get("guid"),
            person.get("organisation"),
            person.get("role"),
            key=person.get("code") or person.get("id"),
            biography=person.get("biography"),
        )
        for person in persons
        if isinstance(person, dict) and _string(person.get("name") or person.get("public_name"))
    ]
    links = event.get("links") or []
    fields["links"] = [
        {"title": _string(link.get("title")), "url": _string(link.get("url"))}
        for link in links
        if isinstance(link, dict)
    ]
    return fields


def _speaker(name, guid, organisation=None, role=None, key=None, biography=None) -> dict:
    speaker = {
        "key": key,
        "guid": _string(guid) or None,
        "name": _string(name)[:200],
        "organisation": _string(organisation)[:200],
        "role": _string(role)[:200],
    }
    # pretalx's schedule.json has each person's biography (in the programme's language: the
    # German one). Only where there is one: an empty or missing one keeps what the draft has
    # (say, one an organiser wrote here).
    text = _string(biography)[:MAX_BIOGRAPHY]
    if text:
        speaker["biography"] = text
    return speaker
