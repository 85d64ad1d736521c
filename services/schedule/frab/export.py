"""A release rendered as frab schedule.xml and schedule.json (see `conventions`)."""

from __future__ import annotations

import json
import re
import uuid
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

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
from shared.calendars import DAY_CHANGE, event_day
from shared.links import contact_link, is_web_url, web_url_or_empty
from shared.messages.schedule import SESSION_CANCELLED

SCHEMA_URL = "https://c3voc.de/schedule/schema.json"

_UUID = re.compile(r"^[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$")
_JSON_SLUG = re.compile(r"^[a-z0-9_-]+[a-z0-9]$")
_XML_TRACK_SLUG = re.compile(r"^[a-z][a-z0-9-]+$")
_TIMEZONE_NAME = re.compile(r"^([A-Z][a-z]+/[A-Z][a-z]+)|UTC$")


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
        if COLOR.match(track["color"] or ""):
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
    slug = slugify(stage["name"])
    if _JSON_SLUG.match(slug):
        room["slug"] = slug
    room["description"] = stage["address"] or None
    room["capacity"] = stage["capacity"]
    return room


def _json_track(track: dict) -> dict:
    result = {"name": track["name"]}
    if _JSON_SLUG.match(track["slug"]):
        result["slug"] = track["slug"]
    if COLOR.match(track["color"] or ""):
        result["color"] = track["color"]
    return result


def _json_event(schedule: _Schedule, session: dict) -> dict:
    event = schedule.event_fields(session)
    persons = []
    for person in event["persons"]:
        entry = {"guid": person["guid"], "name": person["name"], "public_name": person["name"]}
        # The biography as pretalx writes it (in the programme's language, German), only where
        # there is one, so that files without biographies stay as they were.
        keys = ("organisation", "role", "biography")
        entry.update({key: person[key] for key in keys if person[key]})
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
            by_day.setdefault(
                event_day(session["starts_at"], session["starts_at"].tzinfo), []
            ).append(session)
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
        if session["status"] == SESSION_CANCELLED:
            title = CANCELLED_PREFIX + title
        slug = "-".join(
            (self.acronym, str(session["id"]), slugify(session["title"])[:60] or "session")
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
                    "biography": speaker["biography"],
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
                        "biography": speaker.get("biography") or "",
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
        return (
            {"title": REGISTRATION_EXTERNAL_TITLE, "url": target, "type": "web"} if target else None
        )
    if registration["mode"] == "none":
        return {"title": REGISTRATION_NONE_TITLE, "url": session_url, "type": "web"}
    capacity = registration["capacity"]
    if capacity is None:
        capacity = session["stage"]["capacity"]
    title = "Anmeldung erforderlich / Registration required"
    if capacity is not None:
        title = (
            f"Anmeldung erforderlich ({capacity} Plätze) / Registration required ({capacity} seats)"
        )
    return {"title": title, "url": session_url, "type": "web"}


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


def _text(parent: ET.Element, tag: str, text: str, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attributes)
    element.text = text
    return element
