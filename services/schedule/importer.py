"""Importing a programme document (`todo-programme/1`) into an event's draft, keyed by guid.

Stages, tracks, speakers and sessions found by guid (tracks by slug) are updated in place, so
their ids stay the same and the next release's changelog shows exactly what moved or changed.
Sessions of the draft that the document no longer has are cancelled, not deleted.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.schedule.draft import (
    EVENT_FIELDS,
    MAX_SESSIONS_PER_EVENT,
    apply_session,
    event_errors,
    event_timezone,
    find_event,
    overlap_message,
    registration_errors,
    speaker_guid,
    time_errors,
)
from services.schedule.frab.reading import FrabFormatError, parse_frab
from services.schedule.models import Event, ProgrammeSession, Speaker, Stage, Track
from services.schedule.programme_format import load_programme_document
from shared.errors import Invalid, NotFound
from shared.i18n import N_
from shared.messages.schedule import SESSION_CANCELLED, SESSION_SCHEDULED


@dataclass(frozen=True)
class ImportSummary:
    event: Event
    created: int = 0
    updated: int = 0
    cancelled: int = 0
    skipped: bool = False
    # What the file had that was left out (e.g. links that may not be published), and why.
    warnings: tuple[str, ...] = ()


def document_digest(document: dict[str, Any]) -> str:
    # Dates and datetimes hash by their ISO form.
    return hashlib.sha256(
        json.dumps(document, sort_keys=True, ensure_ascii=False, default=str).encode()
    ).hexdigest()


def import_programme(
    session: Session,
    document: dict[str, Any],
    slug: str | None = None,
    *,
    skip_if_unchanged: bool = False,
) -> ImportSummary:
    """Import a loaded document (`load_programme_document`, `parse_frab`) into the draft
    of event `slug` (default: the document's own slug).

    Creates the event when it does not exist. With `skip_if_unchanged`, a document identical to
    the last one imported into this event changes nothing (so edits made since survive).
    """
    doc = document
    if len(doc["sessions"]) > MAX_SESSIONS_PER_EVENT:
        raise Invalid({"sessions": [N_("At most %(max)s sessions.", max=MAX_SESSIONS_PER_EVENT)]})
    event_values = doc["event"] | {"slug": slug or doc["event"]["slug"]}
    errors = event_errors(event_values)
    if errors:
        raise Invalid({"event": errors})
    digest = document_digest(document)
    try:
        event = find_event(session, event_values["slug"])
    except NotFound:
        event = None
    if event is not None and skip_if_unchanged and event.source_digest == digest:
        return ImportSummary(event=event, skipped=True)
    with session.no_autoflush:
        if event is None:
            event = Event(**{name: event_values[name] for name in EVENT_FIELDS})
            session.add(event)
            session.flush()
        else:
            for name in EVENT_FIELDS:
                setattr(event, name, event_values[name])
        event.source_digest = digest
        stages = _upsert_stages(session, event, doc["stages"])
        tracks = _upsert_tracks(session, event, doc["tracks"])
        speakers = _upsert_speakers(session, event, doc["sessions"])
        summary = _upsert_sessions(session, event, doc["sessions"], stages, tracks, speakers)
    session.flush()
    _check_no_overlaps(session, event, {item["guid"]: i for i, item in enumerate(doc["sessions"])})
    return replace(summary, warnings=tuple(doc.get("warnings", ())))


def _upsert_stages(session: Session, event: Event, items: list[dict]) -> dict[str, Stage]:
    stages = {s.guid: s for s in session.scalars(select(Stage).where(Stage.event_id == event.id))}
    for item in items:
        stage = stages.get(item["guid"])
        if stage is None:
            stage = stages[item["guid"]] = Stage(event_id=event.id, guid=item["guid"])
            session.add(stage)
        stage.name = item["name"]
        stage.address = item["address"]
        stage.capacity = item["capacity"]
        stage.stream_url = item["stream_url"] or ""
    return stages


def _upsert_tracks(session: Session, event: Event, items: list[dict]) -> dict[str, Track]:
    tracks = {t.slug: t for t in session.scalars(select(Track).where(Track.event_id == event.id))}
    for item in items:
        track = tracks.get(item["slug"])
        if track is None:
            track = tracks[item["slug"]] = Track(event_id=event.id, slug=item["slug"])
            session.add(track)
        track.name = item["name"]
        track.color = item["color"]
    return tracks


def _upsert_speakers(session: Session, event: Event, sessions: list[dict]) -> dict[str, Speaker]:
    speakers = {
        s.guid: s for s in session.scalars(select(Speaker).where(Speaker.event_id == event.id))
    }
    for item in (speaker for s in sessions for speaker in s["speakers"]):
        guid = item["guid"] or speaker_guid(item["name"], item["organisation"])
        speaker = speakers.get(guid)
        if speaker is None:
            speaker = speakers[guid] = Speaker(event_id=event.id, guid=guid)
            session.add(speaker)
        speaker.name = item["name"]
        speaker.organisation = item["organisation"]
        speaker.role = item["role"]
        for name in ("biography", "biography_en"):
            if item.get(name) is not None:
                setattr(speaker, name, item[name])
    return speakers


def _upsert_sessions(
    session: Session,
    event: Event,
    items: list[dict],
    stages: dict[str, Stage],
    tracks: dict[str, Track],
    speakers: dict[str, Speaker],
) -> ImportSummary:
    existing = {
        s.guid: s
        for s in session.scalars(
            select(ProgrammeSession).where(ProgrammeSession.event_id == event.id)
        )
    }
    errors: dict[str, Any] = {}
    seen: set[str] = set()
    created = updated = 0
    for index, item in enumerate(items):
        if item["guid"] in seen:
            errors[str(index)] = {"guid": [N_("Duplicate guid.")]}
            continue
        seen.add(item["guid"])
        stage = stages[item["stage"]]
        problems = time_errors(item)
        registration_problems = registration_errors(item["registration"], stage)
        if registration_problems:
            problems["registration"] = registration_problems
        if problems:
            errors[str(index)] = problems
            continue
        programme_session = existing.get(item["guid"])
        if programme_session is None:
            programme_session = ProgrammeSession(event_id=event.id)
            session.add(programme_session)
            created += 1
        else:
            updated += 1
        session_speakers = [
            speakers[s["guid"] or speaker_guid(s["name"], s["organisation"])]
            for s in item["speakers"]
        ]
        apply_session(
            programme_session,
            item,
            stage,
            [tracks[slug] for slug in dict.fromkeys(item["tracks"])],
            list(dict.fromkeys(session_speakers)),
        )
    if errors:
        raise Invalid({"sessions": errors})
    cancelled = 0
    for guid, programme_session in existing.items():
        if guid not in seen and programme_session.status != SESSION_CANCELLED:
            programme_session.status = SESSION_CANCELLED
            cancelled += 1
    return ImportSummary(event=event, created=created, updated=updated, cancelled=cancelled)


def _check_no_overlaps(session: Session, event: Event, index_of: dict[str, int]) -> None:
    scheduled = session.scalars(
        select(ProgrammeSession)
        .where(ProgrammeSession.event_id == event.id, ProgrammeSession.status == SESSION_SCHEDULED)
        .order_by(ProgrammeSession.stage_id, ProgrammeSession.starts_at)
    )
    errors: dict[str, Any] = {}
    previous: ProgrammeSession | None = None
    for programme_session in scheduled:
        if previous is not None and previous.stage_id == programme_session.stage_id:
            if programme_session.starts_at < previous.ends_at:
                key = str(index_of.get(programme_session.guid, programme_session.guid))
                errors[key] = {"starts_at": [overlap_message(previous, event_timezone(event))]}
            if programme_session.ends_at <= previous.ends_at:
                continue  # keep the longer one as the reference for what follows
        previous = programme_session
    if errors:
        raise Invalid({"sessions": errors})


def read_programme_file(content: bytes, filename: str) -> dict[str, Any]:
    """Our JSON (`todo-programme/1`) or a frab schedule.xml / schedule.json, loaded.

    Raises Invalid with what is wrong with the file. Our JSON is refused for a link
    that may not be published (field path in the error), as the API refuses it; a frab file
    (another tool's export) keeps its programme and loses the link, listed in `warnings`.
    """
    try:
        raw = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        raw = None
    if isinstance(raw, dict) and str(raw.get("format", "")).startswith("todo-programme/"):
        try:
            return load_programme_document(raw)
        except ValidationError as exc:
            raise Invalid(exc.messages) from exc
    try:
        return parse_frab(content, filename)
    except FrabFormatError as exc:
        raise Invalid({"file": [str(exc)]}) from exc


def move_programme(document: dict[str, Any], first_day: date) -> dict[str, Any]:
    """The same programme on other days, `first_day` being its first: every session keeps its
    weekday offset and its local wall-clock time (13:00 stays 13:00 across a change of daylight
    saving time). For trying a past programme out, e.g. registering for it."""
    event = document["event"]
    zone = ZoneInfo(event["timezone"])
    days = first_day - event["starts_on"]

    def moved(moment: datetime) -> datetime:
        local = moment.astimezone(zone)
        return datetime.combine(local.date() + days, local.time(), zone)

    return {
        **document,
        "event": {**event, "starts_on": first_day, "ends_on": event["ends_on"] + days},
        "sessions": [
            {**s, "starts_at": moved(s["starts_at"]), "ends_at": moved(s["ends_at"])}
            for s in document["sessions"]
        ],
    }
