"""Publishing: freezing the draft into an immutable, numbered release with its changelog.

A release's data is exactly the `data` of the `schedule.release.published` message it sends
(whole programme + changes against the previous release), and its exports are rendered once,
here, so reads only serve stored bytes.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.schedule.audit import audit
from services.schedule.changelog import SessionChange, session_changes
from services.schedule.draft import REGISTRATION_DEFAULTS, event_timezone, list_sessions
from services.schedule.frab.export import render_schedule_json, render_schedule_xml
from services.schedule.models import (
    Event,
    OutboxMessage,
    ProgrammeSession,
    Release,
    ReleaseExport,
    Speaker,
)
from services.schedule.photos import speaker_photo_path
from shared.audit import PUBLISHED
from shared.db import utcnow
from shared.errors import Conflict, NothingChanged
from shared.i18n import N_
from shared.links import contact_link, web_url_or_empty
from shared.messages.schedule import SESSION_CANCELLED, ReleasePublishedSchema
from shared.outbox import add_message

RELEASE_MESSAGE = "schedule.release.published"
# Fields whose change means the session moved; any other difference means it changed.
MOVE_FIELDS = ("starts_at", "ends_at", "stage")
EXPORTS = {
    "programme.json": "application/json",
    "schedule.xml": "application/xml",
    "schedule.json": "application/json",
}


def event_info(event: Event) -> dict[str, Any]:
    info = {
        "slug": event.slug,
        "title": event.title,
        "timezone": event.timezone,
        "locale": event.locale,
        "starts_on": event.starts_on.isoformat(),
        "ends_on": event.ends_on.isoformat(),
        "address": event.address,
        "url": web_url_or_empty(event.url),
    }
    defaults = {name: getattr(event, name) for name in REGISTRATION_DEFAULTS}
    # Only when there are any, so that events from before them publish no change.
    if any(value is not None for value in defaults.values()):
        info["registration_defaults"] = defaults
    return info


def speaker_info(speaker: Speaker) -> dict[str, Any]:
    """A speaker as a release shows it; the biographies and the photo only where there are
    any, so that speakers without one publish as they did before these existed. The photo's
    path names its content, so the release keeps showing this photo whatever comes after."""
    info = {
        "guid": speaker.guid,
        "name": speaker.name,
        "organisation": speaker.organisation,
        "role": speaker.role,
    }
    for name in ("biography", "biography_en"):
        if getattr(speaker, name):
            info[name] = getattr(speaker, name)
    if speaker.photo_digest:
        info["photo_url"] = speaker_photo_path(speaker)
    return info


def session_info(programme_session: ProgrammeSession, event: Event) -> dict[str, Any]:
    """A draft session as it appears in a release (times in the event's time zone)."""
    tz = event_timezone(event)
    stage = programme_session.stage
    mode = programme_session.registration_mode
    capacity = None
    if mode == "required":
        capacity = programme_session.registration_capacity
        if capacity is None:
            capacity = stage.capacity
    return {
        "id": programme_session.id,
        "guid": programme_session.guid,
        "title": programme_session.title,
        "title_en": programme_session.title_en,
        "abstract": programme_session.abstract,
        "abstract_en": programme_session.abstract_en,
        "type": programme_session.type,
        "language": programme_session.language,
        "starts_at": programme_session.starts_at.astimezone(tz).isoformat(),
        "ends_at": programme_session.ends_at.astimezone(tz).isoformat(),
        "stage": {
            "guid": stage.guid,
            "name": stage.name,
            "address": stage.address,
            "capacity": stage.capacity,
            "stream_url": web_url_or_empty(stage.stream_url),
        },
        "tracks": [
            {"slug": t.slug, "name": t.name, "color": t.color}
            for t in sorted(programme_session.tracks, key=lambda t: t.slug)
        ],
        "speakers": [speaker_info(s) for s in programme_session.speakers],
        "streamed": programme_session.streamed,
        # Links stored before they were checked are left out of what the services publish.
        "livestream_url": web_url_or_empty(programme_session.livestream_url)
        or (web_url_or_empty(stage.stream_url) if programme_session.streamed else ""),
        "registration": {
            "mode": mode,
            "capacity": capacity,
            "external": programme_session.registration_external
            if contact_link(programme_session.registration_external)
            else None,
        },
        "status": programme_session.status,
        "url": "",
    }


def latest_release(session: Session, event: Event) -> Release | None:
    return session.scalar(
        select(Release).where(Release.event_id == event.id).order_by(Release.number.desc()).limit(1)
    )


def find_release(session: Session, event: Event, number: int) -> Release | None:
    return session.scalar(
        select(Release).where(Release.event_id == event.id, Release.number == number)
    )


def list_releases(session: Session, event: Event) -> list[Release]:
    return list(
        session.scalars(
            select(Release).where(Release.event_id == event.id).order_by(Release.number.desc())
        )
    )


def events_with_latest_release(session: Session) -> list[tuple[Event, int | None]]:
    """Every event, newest first, with the number of its latest release (None: unpublished)."""
    latest = (
        select(Release.event_id, func.max(Release.number).label("number"))
        .group_by(Release.event_id)
        .subquery()
    )
    rows = session.execute(
        select(Event, latest.c.number)
        .outerjoin(latest, latest.c.event_id == Event.id)
        .order_by(Event.starts_on.desc(), Event.slug)
    )
    return [(event, number) for event, number in rows]


def _sort_key(info: dict[str, Any]) -> tuple:
    return (datetime.fromisoformat(info["starts_at"]), info["stage"]["name"], info["id"])


def compute_changes(
    previous: list[dict[str, Any]], current: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The changelog between two releases' sessions (canonical message form), in programme order."""
    before = {info["id"]: info for info in previous}
    changes = []
    for info in current:
        old = before.get(info["id"])
        if old is None:
            changes.append({"session": info["id"], "kind": "new", "fields_changed": []})
            continue
        differing = [name for name in info if name != "id" and info[name] != old.get(name)]
        stage_moved = info["stage"]["guid"] != old["stage"]["guid"]
        moved = [
            name for name in MOVE_FIELDS if name in differing and (name != "stage" or stage_moved)
        ]
        if "status" in differing:
            kind = "cancelled" if info["status"] == SESSION_CANCELLED else "restored"
        elif moved:
            kind = "moved"
        elif differing:
            kind = "changed"
        else:
            continue
        changes.append({"session": info["id"], "kind": kind, "fields_changed": differing})
    return changes


def _draft_sessions(session: Session, event: Event, previous: dict | None) -> list[dict[str, Any]]:
    current = [
        session_info(programme_session, event)
        for programme_session in list_sessions(session, event)
    ]
    if previous is not None:
        # Sessions deleted from the draft stay in the programme, cancelled, so nobody who
        # booked or subscribed to them is left without word.
        present = {info["id"] for info in current} | {info["guid"] for info in current}
        for old in previous["sessions"]:
            if old["id"] not in present and old["guid"] not in present:
                current.append(old | {"status": SESSION_CANCELLED})
    return sorted(current, key=_sort_key)


def render_exports(data: dict[str, Any]) -> dict[str, bytes]:
    return {
        "programme.json": json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode(),
        "schedule.xml": render_schedule_xml(data),
        "schedule.json": render_schedule_json(data),
    }


def strong_etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:40] + '"'


def _next_release_data(
    session: Session,
    event: Event,
    previous_release: Release | None,
    comment: str = "",
    now: datetime | None = None,
) -> dict[str, Any]:
    """The draft as the release after `previous_release`, in canonical message form with its
    changelog; raises NothingChanged if it equals `previous_release`."""
    previous = previous_release.data if previous_release else None
    return _release_after(
        previous_release,
        event_info(event),
        _draft_sessions(session, event, previous),
        comment,
        now,
    )


def _release_after(
    previous_release: Release | None,
    event: dict[str, Any],
    sessions: list[dict[str, Any]],
    comment: str,
    now: datetime | None,
) -> dict[str, Any]:
    """`event` and `sessions` as the release after `previous_release`, in canonical message
    form with its changelog; raises NothingChanged if they equal `previous_release`."""
    schema = ReleasePublishedSchema()
    data = schema.dump(
        schema.load(
            {
                "event": event,
                "release": {
                    "number": previous_release.number + 1 if previous_release else 1,
                    "comment": comment or "",
                    "published_at": (now or utcnow()).isoformat(),
                },
                "sessions": sessions,
                "changes": [],
            }
        )
    )
    if previous_release is not None:
        previous = previous_release.data
        if previous["event"] == data["event"] and previous["sessions"] == data["sessions"]:
            raise NothingChanged(previous_release.number)
        data["changes"] = compute_changes(previous["sessions"], data["sessions"])
    return data


def changelog_preview(session: Session, event: Event) -> tuple[list[SessionChange], bool]:
    """What publishing the draft now would announce, nothing written: each change, field by
    field, with the session as it would be published and as the latest release shows it; and
    whether anything changed at all."""
    previous_release = latest_release(session, event)
    try:
        data = _next_release_data(session, event, previous_release)
    except NothingChanged:
        return [], False
    before = previous_release.data["sessions"] if previous_release else []
    return release_changes(before, data), True


def release_changes(before: list[dict[str, Any]], data: dict[str, Any]) -> list[SessionChange]:
    """Release `data`'s changes field by field, against the sessions of the release before."""
    return session_changes(
        data["changes"],
        {info["id"]: info for info in before},
        {info["id"]: info for info in data["sessions"]},
    )


def publish_release(
    session: Session, event: Event, comment: str = "", *, now: datetime | None = None
) -> Release:
    """Freeze the draft into release N+1; raises NothingChanged if it equals release N."""
    _serialise_publishers(session, event)
    data = _next_release_data(session, event, latest_release(session, event), comment, now)
    release = _store_release(session, event, data)
    audit(session, event, PUBLISHED, {"release": release.number, "changes": len(data["changes"])})
    return release


def publish_shift(
    session: Session,
    event: Event,
    shifts: dict[int, timedelta],
    comment: str,
    *,
    now: datetime | None = None,
) -> Release:
    """Release N+1 = release N with only the given sessions' times shifted (a live delay):
    whatever else the draft holds stays unpublished. Raises Conflict before a first release."""
    _serialise_publishers(session, event)
    previous_release = latest_release(session, event)
    if previous_release is None:
        raise Conflict(N_("Publish the programme before announcing delays."))
    previous = previous_release.data
    tz = event_timezone(event)
    sessions = []
    for info in previous["sessions"]:
        shift = shifts.get(info["id"])
        if shift is not None:
            info = {
                **info,
                "starts_at": (datetime.fromisoformat(info["starts_at"]) + shift)
                .astimezone(tz)
                .isoformat(),
                "ends_at": (datetime.fromisoformat(info["ends_at"]) + shift)
                .astimezone(tz)
                .isoformat(),
            }
        sessions.append(info)
    sessions.sort(key=_sort_key)
    data = _release_after(previous_release, previous["event"], sessions, comment, now)
    return _store_release(session, event, data)


def _serialise_publishers(session: Session, event: Event) -> None:
    # The number and the diff depend on the last release.
    session.execute(select(Event.id).where(Event.id == event.id).with_for_update())


def _store_release(session: Session, event: Event, data: dict[str, Any]) -> Release:
    release = Release(
        event_id=event.id,
        number=data["release"]["number"],
        comment=data["release"]["comment"],
        published_at=datetime.fromisoformat(data["release"]["published_at"]),
        data_json=json.dumps(data, ensure_ascii=False, separators=(",", ":")),
        changes_json=json.dumps(data["changes"], ensure_ascii=False, separators=(",", ":")),
    )
    session.add(release)
    session.flush()
    for name, body in render_exports(data).items():
        session.add(
            ReleaseExport(
                release_id=release.id,
                name=name,
                media_type=EXPORTS[name],
                body=body,
                etag=strong_etag(body),
            )
        )
    add_message(session, OutboxMessage, RELEASE_MESSAGE, data, aggregate=f"event:{event.slug}")
    session.flush()
    return release
