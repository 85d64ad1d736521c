"""The published programme as pages show it: grouped by day, filtered, labelled in the
page's language. Plain functions over a release's data (the `schedule.release.published` form)."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from flask_babel import format_date, lazy_gettext

from services.schedule.api.published import export_store
from shared.calendars import event_day
from shared.db import utcnow
from shared.messages.schedule import SESSION_CANCELLED
from shared.pages import current_language, localised

# Formats the bundled and imported programmes use; others are shown as they are written.
SESSION_TYPES = {
    "talk": lazy_gettext("Talk"),
    "panel": lazy_gettext("Panel"),
    "keynote": lazy_gettext("Keynote"),
    "interview": lazy_gettext("Interview"),
    "workshop": lazy_gettext("Workshop"),
    "lecture": lazy_gettext("Talk"),
    "discussion": lazy_gettext("Discussion"),
    "meetup": lazy_gettext("Meetup"),
    "networking": lazy_gettext("Networking"),
    "tour": lazy_gettext("Tour"),
    "exhibition": lazy_gettext("Exhibition"),
    "other": lazy_gettext("Other"),
}

_parsed: OrderedDict[tuple[str, int], dict[str, Any]] = OrderedDict()
_parsed_lock = threading.Lock()


def published_programme(slug: str) -> dict[str, Any] | None:
    """The event's latest release (event, release, sessions), parsed once per process."""
    store = export_store()
    export = store.find(slug, "programme.json")
    if export is None:
        return None
    key = (str(store.db.url), export.release_id)
    with _parsed_lock:
        data = _parsed.get(key)
    if data is None:
        data = json.loads(store.body(export))
        with _parsed_lock:
            _parsed[key] = data
            while len(_parsed) > 16:
                _parsed.popitem(last=False)
    return data


def type_label(kind: str) -> str:
    label = SESSION_TYPES.get(kind)
    return str(label) if label is not None else kind.replace("_", " ").capitalize()


def starts(info: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(info["starts_at"])


def ends(info: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(info["ends_at"])


def day_of(info: dict[str, Any]) -> date:
    """The event day of a session (04:00-03:59, `shared.calendars.event_day`): release times
    carry the event's offset, so that is the zone."""
    moment = starts(info)
    return event_day(moment, moment.tzinfo)


# With the year, so a past edition does not pass for this year's.
_DAY_FORMATS = {"de": "EEEE, d. MMMM y", "en": "EEEE, d MMMM y"}


def day_label(day: date) -> str:
    return format_date(day, _DAY_FORMATS[current_language()])


_SHORT_DAY_FORMATS = {"de": "EEE d. MMM", "en": "EEE d MMM"}


def short_day_label(day: date) -> str:
    """A day as a tab names it: "Mo. 29. Apr."."""
    return format_date(day, _SHORT_DAY_FORMATS[current_language()])


@dataclass(frozen=True)
class Filters:
    day: str = ""
    track: str = ""
    stage: str = ""
    type: str = ""

    @classmethod
    def from_args(cls, args) -> Filters:
        return cls(**{name: (args.get(name) or "").strip()[:100] for name in cls.__annotations__})

    def keep(self, info: dict[str, Any]) -> bool:
        return (
            (not self.day or day_of(info).isoformat() == self.day)
            and (not self.track or self.track in {t["slug"] for t in info["tracks"]})
            and (not self.stage or info["stage"]["guid"] == self.stage)
            and (not self.type or info["type"] == self.type)
        )

    @property
    def active(self) -> bool:
        return any((self.day, self.track, self.stage, self.type))


@dataclass
class FilterOptions:
    days: list[tuple[str, str]] = field(default_factory=list)
    tracks: list[tuple[str, str]] = field(default_factory=list)
    stages: list[tuple[str, str]] = field(default_factory=list)
    types: list[tuple[str, str]] = field(default_factory=list)


def filter_options(sessions: list[dict[str, Any]]) -> FilterOptions:
    days, tracks, stages, types = {}, {}, {}, {}
    for info in sessions:
        day = day_of(info)
        days[day.isoformat()] = day_label(day)
        for track in info["tracks"]:
            tracks[track["slug"]] = track["name"]
        stages[info["stage"]["guid"]] = info["stage"]["name"]
        types[info["type"]] = type_label(info["type"])
    return FilterOptions(
        days=sorted(days.items()),
        tracks=sorted(tracks.items(), key=lambda item: item[1].lower()),
        stages=sorted(stages.items(), key=lambda item: item[1].lower()),
        types=sorted(types.items(), key=lambda item: item[1].lower()),
    )


def session_view(
    info: dict[str, Any], live_ids: set[int], now: datetime | None = None
) -> dict[str, Any]:
    """What a page needs of one session, in the page's language, at `now` (a session that has
    begun takes no registrations: the registration service refuses them)."""
    registration = info["registration"]
    now = now or utcnow()
    begun, over = starts(info) <= now, ends(info) <= now
    return {
        "id": info["id"],
        "title": localised(info, "title"),
        "abstract": localised(info, "abstract"),
        "type": info["type"],
        "type_label": type_label(info["type"]),
        "language": info["language"],
        "starts": starts(info),
        "ends": ends(info),
        "stage": info["stage"],
        "tracks": info["tracks"],
        "speakers": info["speakers"],
        "streamed": info["streamed"],
        "livestream_url": info["livestream_url"],
        "cancelled": info["status"] == SESSION_CANCELLED,
        "live": info["id"] in live_ids and info["status"] != SESSION_CANCELLED,
        "registration_mode": registration["mode"],
        "registrable": registration["mode"] == "required"
        and info["status"] != SESSION_CANCELLED
        and not begun,
        "running": begun and not over,
        "over": over,
        "capacity": registration["capacity"],
        "external": registration["external"],
    }


def programme_days(
    sessions: list[dict[str, Any]], filters: Filters, live_ids: set[int]
) -> list[tuple[date, str, list[dict[str, Any]]]]:
    """The sessions the filters keep, by day (date, label, sessions), in time order (a
    release lists its sessions in time order)."""
    days: dict[date, list[dict[str, Any]]] = {}
    for info in sessions:
        if filters.keep(info):
            days.setdefault(day_of(info), []).append(session_view(info, live_ids))
    return [(day, day_label(day), listed) for day, listed in sorted(days.items())]


OPENSTREETMAP_SEARCH = "https://www.openstreetmap.org/search?query="


def map_url(address: str, around: str = "") -> str:
    """An OpenStreetMap search for `address` (empty if there is none). A street without its town
    ("Prinzenstraße 11") gets the town of the event's address `around` ("44137 Dortmund")."""
    address = " ".join((address or "").split())
    if not address:
        return ""
    town = " ".join((around or "").split()).rpartition(",")[2].strip()
    if town and "," not in address and town.casefold() not in address.casefold():
        address = f"{address}, {town}"
    return OPENSTREETMAP_SEARCH + quote(address[:300], safe="")


def find_published_session(data: dict[str, Any], session_id: int) -> dict[str, Any] | None:
    return next((info for info in data["sessions"] if info["id"] == session_id), None)
