"""frab / C3VOC `schedule.xml` and `schedule.json`: rendering releases, importing files.

The formats (https://c3voc.de/wiki/schedule) are what Giggity, EventFahrplan, C3VOC's streaming
website and info-beamer read, and what pretalx and frab export. Ours validate against the XSD and
the JSON schema of github.com/voc/schedule (copies in `tests/schedule/schemas/`).

The formats have no place for some of our data, so we carry it in fields every reader shows
and read it back when importing (our own files and anyone else's):

- English title -> `subtitle`; English abstract -> `description`. Files from other tools use
  these for a German subtitle / long description, so they are only read this way from files our
  generator wrote; otherwise they are appended to the abstract.
- Cancelled sessions stay in the files; their title starts with `CANCELLED_PREFIX`.
- Several tracks -> one `track` string, names joined with `TRACK_SEPARATOR`.
- Registration -> a link titled "Anmeldung … / Registration …" (see `_registration_link`); seat
  capacity -> also the room's `capacity` (schedule.json only: the XML room has no such field).
- Livestream -> a link titled `LIVESTREAM_TITLE`; in schedule.json also `do_not_stream`.
- Speakers' organisation and role -> extra keys of the schedule.json person (XML: name only).

Days follow frab: a day runs from `DAY_CHANGE` (04:00) local time to 03:59 the next morning, so a
session at 01:00 belongs to the evening before. All times are in the event's time zone with
their UTC offset; durations are real elapsed time (they stay right across DST changes).
"""

from __future__ import annotations

import json
import re
import unicodedata
import uuid
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from marshmallow import ValidationError

from services.schedule.programme_format import FORMAT, load_programme_document
from shared.links import contact_link, is_web_url, link_problem, web_url_or_empty

GENERATOR = "todo-platform"
SCHEMA_URL = "https://c3voc.de/schedule/schema.json"
DAY_CHANGE = time(4, 0)
CANCELLED_PREFIX = "ABGESAGT / CANCELLED: "
TRACK_SEPARATOR = " / "
LIVESTREAM_TITLE = "Livestream"
DEFAULT_TIMEZONE = "Europe/Berlin"
# Namespace of the UUID5s we derive where a file or a record has no usable guid.
GUID_NAMESPACE = uuid.UUID("6f1c8a56-2a4e-5d0b-9a57-1c0de7f0da7a")

_UUID = re.compile(r"^[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$")
_JSON_SLUG = re.compile(r"^[a-z0-9_-]+[a-z0-9]$")
_XML_TRACK_SLUG = re.compile(r"^[a-z][a-z0-9-]+$")
_TIMEZONE_NAME = re.compile(r"^([A-Z][a-z]+/[A-Z][a-z]+)|UTC$")
_OUR_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
_DURATION = re.compile(r"^(\d+):([0-5]?\d)(?::([0-5]?\d))?$")
_REQUIRED = re.compile(
    r"^Anmeldung erforderlich(?: \((\d+) Plätze\))? / Registration required(?: \(\d+ seats\))?$"
)
_EXTERNAL_TITLE = "Anmeldung extern / External registration"
_NONE_TITLE = "Eintritt frei, ohne Anmeldung / Free entry, no registration"
_GERMAN_LETTERS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


class FrabFormatError(ValueError):
    """A file that is not a usable frab schedule.xml / schedule.json; the message says why."""


# --- rendering ---------------------------------------------------------------------------------


def render_schedule_xml(release_data: dict) -> bytes:
    """The frab/C3VOC schedule.xml of a release (the `data` of `schedule.release.published`)."""
    schedule = _Schedule(release_data)
    root = ET.Element("schedule")
    ET.SubElement(root, "generator", name=GENERATOR, version=schedule.version)
    _text(root, "version", schedule.version)
    conference = ET.SubElement(root, "conference")
    _text(conference, "acronym", schedule.acronym)
    _text(conference, "title", schedule.event["title"])
    _text(conference, "start", schedule.event["starts_on"].isoformat())
    _text(conference, "end", schedule.event["ends_on"].isoformat())
    _text(conference, "days", str(len(schedule.days)))
    _text(conference, "timeslot_duration", "00:05")
    if schedule.event["url"]:
        _text(conference, "base_url", schedule.event["url"])
        _text(conference, "url", schedule.event["url"])
    _text(conference, "time_zone_name", schedule.timezone_name)
    for track in schedule.tracks:
        attributes = {"name": track["name"]}
        if _COLOR.match(track["color"] or ""):
            attributes["color"] = track["color"]
        if _XML_TRACK_SLUG.match(track["slug"]):
            attributes["slug"] = track["slug"]
        ET.SubElement(conference, "track", attributes)
    for day in schedule.days:
        day_element = ET.SubElement(
            root,
            "day",
            index=str(day.index),
            date=day.date.isoformat(),
            start=day.start.isoformat(),
            end=day.end.isoformat(),
        )
        for stage, sessions in day.rooms:
            room = ET.SubElement(
                day_element, "room", name=schedule.room_name(stage), guid=schedule.room_guid(stage)
            )
            for session in sessions:
                _xml_event(room, schedule, session)
    ET.indent(root)
    # Serialising to str and encoding once is twice as fast as ElementTree's byte writer.
    body = ET.tostring(root, encoding="unicode")
    return f"<?xml version='1.0' encoding='utf-8'?>\n{body}\n".encode()


def _xml_event(room: ET.Element, schedule: _Schedule, session: dict) -> None:
    event = schedule.event_fields(session)
    element = ET.SubElement(room, "event", guid=event["guid"], id=str(event["id"]))
    for name in ("date", "start", "duration", "room", "slug"):
        _text(element, name, event[name])
    if is_web_url(event["url"]):
        _text(element, "url", event["url"])
    for name in ("title", "subtitle", "track", "type", "language", "abstract", "description"):
        _text(element, name, event[name] or "")
    persons = ET.SubElement(element, "persons")
    for person in event["persons"]:
        _text(persons, "person", person["name"], guid=person["guid"])
    links = ET.SubElement(element, "links")
    for link in event["links"]:
        _text(links, "link", link["title"], href=link["url"], type=link["type"])


def render_schedule_json(release_data: dict) -> bytes:
    """The frab/C3VOC schedule.json (version 1 layout) of a release."""
    schedule = _Schedule(release_data)
    conference = {
        "acronym": schedule.acronym,
        "title": schedule.event["title"],
        "start": schedule.event["starts_on"].isoformat(),
        "end": schedule.event["ends_on"].isoformat(),
        "daysCount": len(schedule.days),
        "timeslot_duration": "00:05",
    }
    if _TIMEZONE_NAME.match(schedule.timezone_name):
        conference["time_zone_name"] = schedule.timezone_name
    if schedule.event["url"]:
        conference["url"] = schedule.event["url"]
    conference["rooms"] = [_json_room(schedule, stage) for stage in schedule.stages]
    conference["tracks"] = [_json_track(track) for track in schedule.tracks]
    conference["days"] = [
        {
            "index": day.index,
            "date": day.date.isoformat(),
            "day_start": day.start.isoformat(),
            "day_end": day.end.isoformat(),
            "rooms": {
                schedule.room_name(stage): [_json_event(schedule, s) for s in sessions]
                for stage, sessions in day.rooms
            },
        }
        for day in schedule.days
    ]
    document = {
        "$schema": SCHEMA_URL,
        "generator": {"name": GENERATOR, "version": schedule.version},
        "schedule": {"version": schedule.version, "conference": conference},
    }
    if schedule.event["url"]:
        document["schedule"]["url"] = schedule.event["url"]
    # Compact, like pretalx: the indenting encoder is pure Python and several times slower.
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def _json_room(schedule: _Schedule, stage: dict) -> dict:
    room = {"name": schedule.room_name(stage), "guid": schedule.room_guid(stage)}
    slug = _slugify(stage["name"])
    if _JSON_SLUG.match(slug):
        room["slug"] = slug
    room["description"] = stage["address"] or None
    room["capacity"] = stage["capacity"]
    return room


def _json_track(track: dict) -> dict:
    result = {"name": track["name"]}
    if _JSON_SLUG.match(track["slug"]):
        result["slug"] = track["slug"]
    if _COLOR.match(track["color"] or ""):
        result["color"] = track["color"]
    return result


def _json_event(schedule: _Schedule, session: dict) -> dict:
    event = schedule.event_fields(session)
    persons = []
    for person in event["persons"]:
        entry = {"guid": person["guid"], "name": person["name"], "public_name": person["name"]}
        entry.update({key: person[key] for key in ("organisation", "role") if person[key]})
        persons.append(entry)
    return {
        "guid": event["guid"],
        "id": event["id"],
        "date": event["date"],
        "start": event["start"],
        "end": event["end"],
        "duration": event["duration"],
        "room": event["room"],
        "slug": event["slug"],
        "url": event["url"],
        "title": event["title"],
        "subtitle": event["subtitle"],
        "track": event["track"],
        "type": event["type"],
        "language": event["language"],
        "abstract": event["abstract"],
        "description": event["description"],
        "do_not_stream": not session["streamed"],
        "persons": persons,
        "links": event["links"],
    }


class _Day:
    def __init__(self, index: int, day: date, zone: ZoneInfo):
        self.index = index
        self.date = day
        self.start = datetime.combine(day, DAY_CHANGE, zone)
        next_start = datetime.combine(day + timedelta(days=1), DAY_CHANGE, zone)
        self.end = next_start - timedelta(minutes=1)
        self.rooms: list[tuple[dict, list[dict]]] = []


class _Schedule:
    """A release arranged the frab way: stages, tracks, days -> rooms -> sessions, all sorted."""

    def __init__(self, release_data: dict):
        data = _loaded_release(release_data)
        self.event = data["event"]
        self.version = str(data["release"]["number"])
        self.timezone_name = self.event["timezone"]
        self.zone = ZoneInfo(self.timezone_name)
        self.acronym = _acronym(self.event["slug"])
        sessions = sorted(
            data["sessions"],
            key=lambda s: (s["starts_at"], s["ends_at"], s["stage"]["name"], s["id"]),
        )
        for session in sessions:
            session["tracks"].sort(key=lambda track: (track["name"].casefold(), track["slug"]))
            session["starts_at"] = session["starts_at"].astimezone(self.zone)
            session["ends_at"] = session["ends_at"].astimezone(self.zone)

        stages: dict[str, dict] = {}
        for session in sessions:
            stages.setdefault(session["stage"]["guid"], session["stage"])
        counts = Counter(session["stage"]["guid"] for session in sessions)
        # The busiest stage (the main stage) comes first, as schedule apps show rooms in order.
        self.stages = sorted(
            stages.values(), key=lambda s: (-counts[s["guid"]], s["name"], s["guid"])
        )
        self._room_names = _unique_names(self.stages)

        tracks: dict[str, dict] = {}
        for session in sessions:
            for track in session["tracks"]:
                tracks.setdefault(track["slug"], track)
        self.tracks = sorted(tracks.values(), key=lambda t: (t["name"].casefold(), t["slug"]))

        by_day: dict[date, list[dict]] = {}
        for session in sessions:
            by_day.setdefault(_frab_date(session["starts_at"]), []).append(session)
        first = min([self.event["starts_on"], *by_day])
        last = max([self.event["ends_on"], *by_day])
        self.days = []
        for offset in range((last - first).days + 1):
            day = _Day(offset + 1, first + timedelta(days=offset), self.zone)
            day_sessions = by_day.get(day.date, [])
            for stage in self.stages:
                on_stage = [s for s in day_sessions if s["stage"]["guid"] == stage["guid"]]
                if on_stage:
                    day.rooms.append((stage, on_stage))
            self.days.append(day)

    def room_name(self, stage: dict) -> str:
        return self._room_names[stage["guid"]]

    def room_guid(self, stage: dict) -> str:
        return _as_uuid(stage["guid"], f"{self.event['slug']}/stage")

    def event_fields(self, session: dict) -> dict:
        """What schedule.xml and schedule.json have in common for one session."""
        starts_at, ends_at = session["starts_at"], session["ends_at"]
        title = session["title"]
        if session["status"] == "cancelled":
            title = CANCELLED_PREFIX + title
        slug = "-".join(
            (self.acronym, str(session["id"]), _slugify(session["title"])[:60] or "session")
        )
        links = []
        registration = _registration_link(session, self._session_url(session))
        if registration:
            links.append(registration)
        stream_url = session["livestream_url"] or session["stage"]["stream_url"]
        if session["streamed"] and stream_url:
            links.append({"title": LIVESTREAM_TITLE, "url": stream_url, "type": "media"})
        return {
            "guid": _as_uuid(session["guid"], f"{self.event['slug']}/session"),
            "id": session["id"],
            "date": starts_at.isoformat(),
            "start": starts_at.strftime("%H:%M"),
            "end": ends_at.isoformat(),
            "duration": _format_duration(ends_at.astimezone(UTC) - starts_at.astimezone(UTC)),
            "room": self.room_name(session["stage"]),
            "slug": slug.strip("-"),
            "url": self._session_url(session),
            "title": title,
            "subtitle": session["title_en"] or "",
            "track": TRACK_SEPARATOR.join(t["name"] for t in session["tracks"]) or None,
            "type": session["type"],
            "language": session["language"],
            "abstract": session["abstract"] or "",
            "description": session["abstract_en"] or "",
            "persons": [
                {
                    "guid": _as_uuid(
                        speaker["guid"] or speaker["name"], f"{self.event['slug']}/speaker"
                    ),
                    "name": speaker["name"],
                    "organisation": speaker["organisation"],
                    "role": speaker["role"],
                }
                for speaker in session["speakers"]
            ],
            "links": links,
        }

    def _session_url(self, session: dict) -> str:
        if session["url"]:
            return session["url"]
        if self.event["url"]:
            return f"{self.event['url'].rstrip('/')}/#session-{session['id']}"
        return f"urn:uuid:{_as_uuid(session['guid'], self.event['slug'] + '/session')}"


def _loaded_release(release_data: dict) -> dict:
    """The parts of a `schedule.release.published` message (JSON form) the exports use.

    The message was validated against `ReleasePublishedSchema` when it was published; loading it
    through marshmallow again costs most of the rendering time of a large programme, so only
    dates are parsed here and the schema's defaults filled in.
    """
    event = dict(release_data["event"])
    event["starts_on"] = date.fromisoformat(event["starts_on"])
    event["ends_on"] = date.fromisoformat(event["ends_on"])
    # Addresses stored before links were checked never become links in the files.
    event["url"] = web_url_or_empty(event.get("url"))
    sessions = []
    for raw in release_data["sessions"]:
        stage = raw["stage"]
        sessions.append(
            {
                **raw,
                "starts_at": datetime.fromisoformat(raw["starts_at"]),
                "ends_at": datetime.fromisoformat(raw["ends_at"]),
                "stage": {
                    **stage,
                    "address": stage.get("address") or "",
                    "capacity": stage.get("capacity"),
                    "stream_url": web_url_or_empty(stage.get("stream_url")),
                },
                "tracks": [
                    {**track, "color": track.get("color") or ""} for track in raw.get("tracks", [])
                ],
                "speakers": [
                    {
                        "guid": speaker.get("guid"),
                        "name": speaker["name"],
                        "organisation": speaker.get("organisation") or "",
                        "role": speaker.get("role") or "",
                    }
                    for speaker in raw.get("speakers", [])
                ],
                "registration": {
                    "mode": raw["registration"]["mode"],
                    "capacity": raw["registration"].get("capacity"),
                    "external": raw["registration"].get("external"),
                },
                "title_en": raw.get("title_en") or "",
                "abstract": raw.get("abstract") or "",
                "abstract_en": raw.get("abstract_en") or "",
                "type": raw.get("type") or "talk",
                "language": raw.get("language") or "de",
                "streamed": bool(raw.get("streamed")),
                "livestream_url": web_url_or_empty(raw.get("livestream_url")),
                "url": web_url_or_empty(raw.get("url")),
            }
        )
    return {"event": event, "release": release_data["release"], "sessions": sessions}


def _registration_link(session: dict, session_url: str) -> dict | None:
    registration = session["registration"]
    if registration["mode"] == "external":
        target = contact_link(registration["external"])
        return {"title": _EXTERNAL_TITLE, "url": target, "type": "web"} if target else None
    if registration["mode"] == "none":
        return {"title": _NONE_TITLE, "url": session_url, "type": "web"}
    capacity = registration["capacity"]
    if capacity is None:
        capacity = session["stage"]["capacity"]
    title = "Anmeldung erforderlich / Registration required"
    if capacity is not None:
        title = (
            f"Anmeldung erforderlich ({capacity} Plätze) / Registration required ({capacity} seats)"
        )
    return {"title": title, "url": session_url, "type": "web"}


def _frab_date(moment: datetime) -> date:
    """The frab day a local time belongs to: before DAY_CHANGE it is still the day before."""
    if moment.time() < DAY_CHANGE:
        return moment.date() - timedelta(days=1)
    return moment.date()


def _format_duration(duration: timedelta) -> str:
    minutes = int(duration.total_seconds() // 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _acronym(slug: str) -> str:
    """Our slug as a frab acronym: the JSON schema allows '-' only in a '-2024-name' suffix."""
    acronym = slug.replace("-", "_")
    return acronym if len(acronym) >= 4 else acronym.ljust(4, "_")


def _unique_names(stages: list[dict]) -> dict[str, str]:
    names: dict[str, str] = {}
    used: set[str] = set()
    for stage in stages:
        name, number = stage["name"], 1
        while name in used:
            number += 1
            name = f"{stage['name']} ({number})"
        used.add(name)
        names[stage["guid"]] = name
    return names


def _as_uuid(value: str, scope: str) -> str:
    """`value` if it is a UUID, else a stable UUID5 of it (frab guids must be UUIDs)."""
    if _UUID.match(value):
        return value.lower()
    return str(uuid.uuid5(GUID_NAMESPACE, f"{scope}/{value}"))


def _slugify(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower().translate(_GERMAN_LETTERS))
    text = text.encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def _text(parent: ET.Element, tag: str, text: str, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attributes)
    element.text = text
    return element


# --- importing ---------------------------------------------------------------------------------


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
        slug = slug if slug and _OUR_SLUG.match(slug) else _slugify(name)[:63] or "track"
        base, number = slug, 1
        while slug in self.tracks:
            number += 1
            slug = f"{base[:58]}-{number}"
        self.tracks[slug] = {
            "slug": slug,
            "name": name[:100],
            "color": color if color and _COLOR.match(color) else "",
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
        status = "scheduled"
        if title.startswith(CANCELLED_PREFIX):
            title, status = title[len(CANCELLED_PREFIX) :], "cancelled"
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
        if link["title"] == _EXTERNAL_TITLE and link["url"]:
            target = link["url"].removeprefix("mailto:")
            return {"mode": "external", "capacity": None, "external": target}
        if link["title"] == _NONE_TITLE:
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


def _speaker(name, guid, organisation=None, role=None, key=None) -> dict:
    return {
        "key": key,
        "guid": _string(guid) or None,
        "name": _string(name)[:200],
        "organisation": _string(organisation)[:200],
        "role": _string(role)[:200],
    }
