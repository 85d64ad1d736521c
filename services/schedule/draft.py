"""The draft programme: events, stages, tracks, speakers and sessions as organisers edit them.

Every function takes the caller's SQLAlchemy session and never commits. A change is validated
completely before anything is touched, so a refused change (`Invalid`, 422) leaves the
draft as it was.
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from services.schedule.audit import session_changed
from services.schedule.models import (
    Event,
    ProgrammeSession,
    SessionSpeaker,
    Speaker,
    Stage,
    Track,
)
from services.schedule.photos import prepare_photo, store_photo
from shared.errors import Conflict, Invalid, NoSuchEvent
from shared.i18n import N_, Message
from shared.links import is_web_url, link_errors
from shared.messages.schedule import SESSION_SCHEDULED

MAX_SESSION_LENGTH = timedelta(hours=24)
MAX_EVENT_DAYS = 62
MAX_SESSIONS_PER_EVENT = 5000
# No ':' or '/' in the parts, so that an address cannot pass for a link of another scheme.
_EMAIL = re.compile(r"^[^@\s:/]+@[^@\s:/]+\.[^@\s:/]+$")


# -- events -------------------------------------------------------------------------------------


def find_event(session: Session, slug: str) -> Event:
    """The event called `slug`; NotFound (404) if there is none."""
    event = session.scalar(select(Event).where(Event.slug == slug))
    if event is None:
        raise NoSuchEvent(slug)
    return event


def event_timezone(event: Event) -> ZoneInfo:
    return ZoneInfo(event.timezone)


def event_errors(values: dict[str, Any]) -> dict[str, list[str]]:
    errors = link_errors(values, ("url",))
    try:
        ZoneInfo(values["timezone"])
    except (ZoneInfoNotFoundError, ValueError):
        errors["timezone"] = [N_("Unknown time zone.")]
    if values["ends_on"] < values["starts_on"]:
        errors["ends_on"] = [N_("Ends before it starts.")]
    elif (values["ends_on"] - values["starts_on"]).days > MAX_EVENT_DAYS:
        errors["ends_on"] = [N_("At most %(days)s days.", days=MAX_EVENT_DAYS)]
    return errors


EVENT_FIELDS = ("slug", "title", "timezone", "locale", "starts_on", "ends_on", "address", "url")
# Set when an event is created (NewEventSchema), then kept by the registration service.
REGISTRATION_DEFAULTS = ("confirm_email", "release_no_shows_after_minutes")


def _event_values(event: Event) -> dict[str, Any]:
    return {name: getattr(event, name) for name in EVENT_FIELDS}


def create_event(session: Session, values: dict[str, Any]) -> Event:
    values = {"timezone": "Europe/Berlin", "locale": "de", "address": "", "url": ""} | values
    errors = event_errors(values)
    if errors:
        raise Invalid(errors)
    if session.scalar(select(Event.id).where(Event.slug == values["slug"])) is not None:
        raise Conflict(N_("The event %(slug)r exists already.", slug=values["slug"]))
    event = Event(
        **{name: values[name] for name in EVENT_FIELDS},
        **{name: values.get(name) for name in REGISTRATION_DEFAULTS},
    )
    session.add(event)
    session.flush()
    return event


def update_event(session: Session, event: Event, changes: dict[str, Any]) -> Event:
    changes = {k: v for k, v in changes.items() if k != "slug"}
    merged = _event_values(event) | changes
    errors = event_errors(merged)
    if errors:
        raise Invalid(errors)
    for name, value in changes.items():
        setattr(event, name, value)
    session.flush()
    return event


# -- stages, tracks, speakers ----------------------------------------------------------------


def find_stage(session: Session, event: Event, guid: str) -> Stage | None:
    return session.scalar(select(Stage).where(Stage.event_id == event.id, Stage.guid == guid))


def list_stages(session: Session, event: Event) -> list[Stage]:
    return list(session.scalars(select(Stage).where(Stage.event_id == event.id).order_by(Stage.id)))


def create_stage(session: Session, event: Event, values: dict[str, Any]) -> Stage:
    guid = values.get("guid") or str(uuid.uuid4())
    errors = link_errors(values, ("stream_url",))
    if errors:
        raise Invalid(errors)
    if find_stage(session, event, guid) is not None:
        raise Conflict(N_("The stage %(guid)r exists already.", guid=guid))
    stage = Stage(event_id=event.id, **(values | {"guid": guid}))
    session.add(stage)
    session.flush()
    return stage


def update_stage(session: Session, stage: Stage, changes: dict[str, Any]) -> Stage:
    errors = link_errors(changes, ("stream_url",))
    if errors:
        raise Invalid(errors)
    if "capacity" in changes and changes["capacity"] is None:
        relying = session.scalar(
            select(func.count())
            .select_from(ProgrammeSession)
            .where(
                ProgrammeSession.stage_id == stage.id,
                ProgrammeSession.registration_mode == "required",
                ProgrammeSession.registration_capacity.is_(None),
            )
        )
        if relying:
            raise Invalid(
                {
                    "capacity": [
                        N_(
                            "%(count)s sessions with registration use this capacity.",
                            count=relying,
                        )
                    ]
                }
            )
    for name, value in changes.items():
        if name != "guid":
            setattr(stage, name, value)
    session.flush()
    return stage


def delete_stage(session: Session, stage: Stage) -> None:
    used = session.scalar(
        select(func.count())
        .select_from(ProgrammeSession)
        .where(ProgrammeSession.stage_id == stage.id)
    )
    if used:
        raise Conflict(N_("%(count)s sessions use this stage.", count=used))
    session.delete(stage)
    session.flush()


def find_track(session: Session, event: Event, slug: str) -> Track | None:
    return session.scalar(select(Track).where(Track.event_id == event.id, Track.slug == slug))


def list_tracks(session: Session, event: Event) -> list[Track]:
    return list(
        session.scalars(select(Track).where(Track.event_id == event.id).order_by(Track.slug))
    )


def create_track(session: Session, event: Event, values: dict[str, Any]) -> Track:
    if find_track(session, event, values["slug"]) is not None:
        raise Conflict(N_("The track %(slug)r exists already.", slug=values["slug"]))
    track = Track(event_id=event.id, **values)
    session.add(track)
    session.flush()
    return track


def update_track(session: Session, track: Track, changes: dict[str, Any]) -> Track:
    for name, value in changes.items():
        if name != "slug":
            setattr(track, name, value)
    session.flush()
    return track


def delete_track(session: Session, track: Track) -> None:
    # Sessions simply lose the track (the association rows go with it).
    session.delete(track)
    session.flush()


def find_speaker(session: Session, event: Event, speaker_id: int) -> Speaker | None:
    return session.scalar(
        select(Speaker).where(Speaker.event_id == event.id, Speaker.id == speaker_id)
    )


def list_speakers(session: Session, event: Event) -> list[Speaker]:
    return list(
        session.scalars(select(Speaker).where(Speaker.event_id == event.id).order_by(Speaker.id))
    )


def speaker_guid(name: str, organisation: str) -> str:
    """The guid of a speaker whose file gives none: the same person always gets the same one."""
    return str(
        uuid.uuid5(uuid.NAMESPACE_URL, f"todo-speaker:{name.strip()}|{organisation.strip()}")
    )


def create_speaker(session: Session, event: Event, values: dict[str, Any]) -> Speaker:
    values = {"organisation": "", "role": ""} | values
    guid = values.get("guid") or speaker_guid(values["name"], values["organisation"])
    if session.scalar(select(Speaker).where(Speaker.event_id == event.id, Speaker.guid == guid)):
        raise Conflict(N_("This speaker exists already."))
    speaker = Speaker(event_id=event.id, **(values | {"guid": guid}))
    session.add(speaker)
    session.flush()
    return speaker


def update_speaker(session: Session, speaker: Speaker, changes: dict[str, Any]) -> Speaker:
    for name, value in changes.items():
        if name != "guid":
            setattr(speaker, name, value)
    session.flush()
    return speaker


def delete_speaker(session: Session, speaker: Speaker) -> None:
    session.execute(delete(SessionSpeaker).where(SessionSpeaker.speaker_id == speaker.id))
    session.delete(speaker)
    session.flush()
    session.expire_all()


def speaker_sessions(session: Session, speaker: Speaker) -> list[ProgrammeSession]:
    """The draft's sessions the speaker speaks in, in time order."""
    return list(
        session.scalars(
            select(ProgrammeSession)
            .join(SessionSpeaker, SessionSpeaker.session_id == ProgrammeSession.id)
            .where(SessionSpeaker.speaker_id == speaker.id)
            .order_by(ProgrammeSession.starts_at, ProgrammeSession.id)
        )
    )


def speaker_session_counts(session: Session, event: Event) -> dict[int, int]:
    """Speaker id -> in how many of the draft's sessions they speak (absent: none)."""
    rows = session.execute(
        select(SessionSpeaker.speaker_id, func.count())
        .join(Speaker, Speaker.id == SessionSpeaker.speaker_id)
        .where(Speaker.event_id == event.id)
        .group_by(SessionSpeaker.speaker_id)
    )
    return {speaker_id: count for speaker_id, count in rows}


def set_speaker_photo(session: Session, speaker: Speaker, data: bytes) -> Speaker:
    """Give the speaker the photo uploaded as `data` (checked and re-encoded by
    `photos.prepare_photo`: 413 or 422 at `photo` if it is not one we take)."""
    speaker.photo_digest = store_photo(session, speaker.event_id, prepare_photo(data))
    session.flush()
    return speaker


def remove_speaker_photo(session: Session, speaker: Speaker) -> Speaker:
    """The speaker has no photo from now on; releases published with it keep showing it."""
    speaker.photo_digest = None
    session.flush()
    return speaker


# -- sessions ---------------------------------------------------------------------------------


def find_session(session: Session, event: Event, session_id: int) -> ProgrammeSession | None:
    return session.scalar(
        select(ProgrammeSession).where(
            ProgrammeSession.event_id == event.id, ProgrammeSession.id == session_id
        )
    )


def list_sessions(session: Session, event: Event) -> list[ProgrammeSession]:
    return list(
        session.scalars(
            select(ProgrammeSession)
            .where(ProgrammeSession.event_id == event.id)
            .order_by(ProgrammeSession.starts_at, ProgrammeSession.id)
        )
    )


def session_values(programme_session: ProgrammeSession) -> dict[str, Any]:
    """A draft session in the input shape of `create_session` (speakers as ids)."""
    return {
        "guid": programme_session.guid,
        "title": programme_session.title,
        "title_en": programme_session.title_en,
        "abstract": programme_session.abstract,
        "abstract_en": programme_session.abstract_en,
        "type": programme_session.type,
        "language": programme_session.language,
        "stage": programme_session.stage.guid,
        "tracks": [track.slug for track in programme_session.tracks],
        "speakers": [speaker.id for speaker in programme_session.speakers],
        "starts_at": programme_session.starts_at,
        "ends_at": programme_session.ends_at,
        "streamed": programme_session.streamed,
        "livestream_url": programme_session.livestream_url,
        "registration": {
            "mode": programme_session.registration_mode,
            "capacity": programme_session.registration_capacity,
            "external": programme_session.registration_external or None,
        },
        "status": programme_session.status,
        "assumption": programme_session.assumption,
    }


_DEFAULTS = {
    "title_en": "",
    "abstract": "",
    "abstract_en": "",
    "type": "talk",
    "language": "de",
    "tracks": [],
    "speakers": [],
    "streamed": False,
    "livestream_url": "",
    "registration": {"mode": "none"},
    "status": SESSION_SCHEDULED,
    "assumption": "",
}


def time_errors(values: dict[str, Any]) -> dict[str, list[str]]:
    errors = {}
    for name in ("starts_at", "ends_at"):
        if values[name].tzinfo is None or values[name].utcoffset() is None:
            errors[name] = [N_("The time needs a UTC offset.")]
    if errors:
        return errors
    if values["ends_at"] <= values["starts_at"]:
        errors["ends_at"] = [N_("Must be after starts_at.")]
    elif values["ends_at"] - values["starts_at"] > MAX_SESSION_LENGTH:
        errors["ends_at"] = [N_("At most 24 hours long.")]
    return errors


def registration_errors(registration: dict[str, Any], stage: Stage | None) -> dict[str, list[str]]:
    mode = registration.get("mode", "none")
    errors: dict[str, list[str]] = {}
    if mode == "required":
        capacity = registration.get("capacity")
        if capacity is None and stage is not None and stage.capacity is None:
            errors["capacity"] = [N_("The stage has no capacity; give the number of seats.")]
    elif mode == "external":
        target = (registration.get("external") or "").strip()
        if not (is_web_url(target) or _EMAIL.match(target)):
            errors["external"] = [N_("Give a URL or email address where people register.")]
    return errors


def overlap_message(other: ProgrammeSession, tz: ZoneInfo) -> Message:
    return N_(
        "Overlaps session %(id)s “%(title)s” (%(start)s–%(end)s) on the same stage.",
        id=other.id,
        title=other.title,
        start=other.starts_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
        end=other.ends_at.astimezone(tz).strftime("%H:%M"),
    )


def _overlapping(
    session: Session, event: Event, stage: Stage, values: dict[str, Any], session_id: int | None
) -> ProgrammeSession | None:
    query = select(ProgrammeSession).where(
        ProgrammeSession.event_id == event.id,
        ProgrammeSession.stage_id == stage.id,
        ProgrammeSession.status == SESSION_SCHEDULED,
        ProgrammeSession.starts_at < values["ends_at"],
        ProgrammeSession.ends_at > values["starts_at"],
    )
    if session_id is not None:
        query = query.where(ProgrammeSession.id != session_id)
    return session.scalar(query.order_by(ProgrammeSession.starts_at).limit(1))


def _resolve_session(
    session: Session, event: Event, values: dict[str, Any], session_id: int | None
) -> tuple[Stage, list[Track], list[Speaker]]:
    """Check a whole session (merged values) and find what it refers to; raise if invalid."""
    errors: dict[str, Any] = time_errors(values) | link_errors(values, ("livestream_url",))
    stage = find_stage(session, event, values["stage"])
    if stage is None:
        errors["stage"] = [N_("Unknown stage %(guid)r.", guid=values["stage"])]
    tracks = []
    for slug in dict.fromkeys(values["tracks"]):
        track = find_track(session, event, slug)
        if track is None:
            errors.setdefault("tracks", []).append(N_("Unknown track %(slug)r.", slug=slug))
        tracks.append(track)
    speakers = []
    for speaker_id in dict.fromkeys(values["speakers"]):
        speaker = find_speaker(session, event, speaker_id)
        if speaker is None:
            errors.setdefault("speakers", []).append(N_("Unknown speaker %(id)s.", id=speaker_id))
        speakers.append(speaker)
    registration_problems = registration_errors(values["registration"], stage)
    if registration_problems:
        errors["registration"] = registration_problems
    guid_owner = session.scalar(
        select(ProgrammeSession.id).where(
            ProgrammeSession.event_id == event.id, ProgrammeSession.guid == values["guid"]
        )
    )
    if guid_owner is not None and guid_owner != session_id:
        errors["guid"] = [N_("Another session has this guid.")]
    if not errors and values["status"] == SESSION_SCHEDULED:
        other = _overlapping(session, event, stage, values, session_id)
        if other is not None:
            errors["starts_at"] = [overlap_message(other, event_timezone(event))]
    if errors:
        raise Invalid(errors)
    return stage, tracks, speakers


def apply_session(
    programme_session: ProgrammeSession,
    values: dict[str, Any],
    stage: Stage,
    tracks: list[Track],
    speakers: list[Speaker],
) -> None:
    registration = values["registration"]
    mode = registration.get("mode", "none")
    programme_session.guid = values["guid"]
    programme_session.title = values["title"]
    programme_session.title_en = values["title_en"] or ""
    programme_session.abstract = values["abstract"] or ""
    programme_session.abstract_en = values["abstract_en"] or ""
    programme_session.type = values["type"]
    programme_session.language = values["language"]
    programme_session.stage = stage
    programme_session.tracks = tracks
    programme_session.speakers = speakers
    programme_session.starts_at = values["starts_at"]
    programme_session.ends_at = values["ends_at"]
    programme_session.streamed = values["streamed"]
    programme_session.livestream_url = values["livestream_url"] or ""
    programme_session.registration_mode = mode
    programme_session.registration_capacity = (
        registration.get("capacity") if mode == "required" else None
    )
    programme_session.registration_external = (
        (registration.get("external") or "") if mode == "external" else ""
    )
    programme_session.status = values["status"]
    programme_session.assumption = values["assumption"] or ""


def create_session(session: Session, event: Event, values: dict[str, Any]) -> ProgrammeSession:
    values = _DEFAULTS | values
    values["guid"] = values.get("guid") or str(uuid.uuid4())
    count = session.scalar(
        select(func.count())
        .select_from(ProgrammeSession)
        .where(ProgrammeSession.event_id == event.id)
    )
    if count >= MAX_SESSIONS_PER_EVENT:
        raise Invalid({"_schema": [N_("At most %(max)s sessions.", max=MAX_SESSIONS_PER_EVENT)]})
    with session.no_autoflush:
        stage, tracks, speakers = _resolve_session(session, event, values, None)
    programme_session = ProgrammeSession(event_id=event.id)
    apply_session(programme_session, values, stage, tracks, speakers)
    session.add(programme_session)
    session.flush()
    return programme_session


def update_session(
    session: Session, programme_session: ProgrammeSession, changes: dict[str, Any]
) -> ProgrammeSession:
    event = session.get(Event, programme_session.event_id)
    before = session_values(programme_session)
    values = before | changes
    with session.no_autoflush:
        stage, tracks, speakers = _resolve_session(session, event, values, programme_session.id)
    apply_session(programme_session, values, stage, tracks, speakers)
    session.flush()
    session_changed(session, event, programme_session, before)
    return programme_session


def delete_session(session: Session, programme_session: ProgrammeSession) -> None:
    """Remove a session from the draft; if it was published, the next release shows it cancelled."""
    session.delete(programme_session)
    session.flush()
