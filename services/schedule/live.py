"""The livestream schedule: now and next per stage, on-air marks and announced delays.

Now/next are computed from the latest release (what the public sees) and compared as aware
datetimes, so a question asked across a daylight saving change gets the right answer.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.schedule.audit import audit
from services.schedule.draft import event_timezone, find_session, overlap_message
from services.schedule.models import (
    Event,
    LiveStatus,
    OutboxMessage,
    ProgrammeSession,
    Release,
    Stage,
    StageDelay,
)
from services.schedule.releases import publish_shift
from shared.audit import LIVE_DELAYED, LIVE_STATUS_CHANGED
from shared.db import utcnow
from shared.errors import Conflict, Invalid
from shared.i18n import N_, translations_for
from shared.messages.schedule import SESSION_CANCELLED, SESSION_SCHEDULED
from shared.outbox import add_message

LIVE_MESSAGE = "schedule.live.updated"
MAX_DELAY_MINUTES = 12 * 60


def live_marks(session: Session, session_ids: list[int]) -> dict[int, str]:
    if not session_ids:
        return {}
    rows = session.execute(
        select(LiveStatus.session_id, LiveStatus.status).where(
            LiveStatus.session_id.in_(session_ids)
        )
    )
    return {session_id: status for session_id, status in rows}


def _slot(info: dict[str, Any], mark: str | None, stage: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": info["id"],
        "guid": info["guid"],
        "title": info["title"],
        "title_en": info["title_en"],
        "type": info["type"],
        "starts_at": info["starts_at"],
        "ends_at": info["ends_at"],
        "speakers": [speaker["name"] for speaker in info["speakers"]],
        "streamed": info["streamed"],
        "livestream_url": info["livestream_url"] or stage["stream_url"] or "",
        "live_status": mark or "scheduled",
    }


_SCHEDULED_BY_RELEASE: dict[tuple[str, int], list[dict[str, Any]]] = {}


def scheduled_sessions(session: Session, release_id: int) -> list[dict[str, Any]]:
    """A release's scheduled sessions, parsed once per process (releases never change)."""
    key = (str(session.get_bind().url), release_id)
    sessions = _SCHEDULED_BY_RELEASE.get(key)
    if sessions is None:
        data = json.loads(session.scalar(select(Release.data_json).where(Release.id == release_id)))
        sessions = [info for info in data["sessions"] if info["status"] == SESSION_SCHEDULED]
        if len(_SCHEDULED_BY_RELEASE) >= 32:
            _SCHEDULED_BY_RELEASE.clear()
        _SCHEDULED_BY_RELEASE[key] = sessions
    return sessions


def live_overview(
    session: Session, event: Event, at: datetime | None = None
) -> dict[str, Any] | None:
    """Per stage of the latest release: the session on air at `at` (default: now) and the next.

    An organiser's on-air mark wins over the clock when asking about now; a session marked
    ended is never "now". Returns None when nothing is published yet.
    """
    latest = session.execute(
        select(Release.id, Release.number)
        .where(Release.event_id == event.id)
        .order_by(Release.number.desc())
        .limit(1)
    ).first()
    if latest is None:
        return None
    asking_now = at is None
    at = (at or utcnow()).astimezone(event_timezone(event))
    sessions = scheduled_sessions(session, latest.id)
    marks = live_marks(session, [info["id"] for info in sessions])
    stages: dict[str, dict[str, Any]] = {}
    by_stage: dict[str, list[dict[str, Any]]] = {}
    for info in sessions:
        stages.setdefault(info["stage"]["guid"], info["stage"])
        by_stage.setdefault(info["stage"]["guid"], []).append(info)
    result = []
    for guid, stage in stages.items():
        ordered = sorted(by_stage[guid], key=lambda i: datetime.fromisoformat(i["starts_at"]))
        current = None
        if asking_now:
            current = next((i for i in ordered if marks.get(i["id"]) == "on_air"), None)
        if current is None:
            current = next(
                (
                    i
                    for i in ordered
                    if datetime.fromisoformat(i["starts_at"])
                    <= at
                    < datetime.fromisoformat(i["ends_at"])
                    and marks.get(i["id"]) != "ended"
                ),
                None,
            )
        if current is not None:
            rest = ordered[ordered.index(current) + 1 :]
        else:
            rest = [i for i in ordered if datetime.fromisoformat(i["starts_at"]) > at]
        upcoming = next((i for i in rest if marks.get(i["id"]) not in ("on_air", "ended")), None)
        later_today = (
            upcoming is not None
            and datetime.fromisoformat(upcoming["starts_at"]).date() == at.date()
        )
        result.append(
            {
                "stage": {
                    "guid": guid,
                    "name": stage["name"],
                    "address": stage["address"],
                    "stream_url": stage["stream_url"] or "",
                },
                "now": _slot(current, marks.get(current["id"]), stage) if current else None,
                "next": _slot(upcoming, marks.get(upcoming["id"]), stage) if upcoming else None,
                # What `announce_delay` would move: a session now, or one later today.
                "delayable": current is not None or later_today,
            }
        )
    return {"event": event.slug, "at": at.isoformat(), "release": latest.number, "stages": result}


def set_live_status(
    session: Session, event: Event, programme_session: ProgrammeSession, status: str
) -> None:
    """Mark a session on air, ended, or back to scheduled (clears the mark).

    Going on air ends whatever else was on air on that stage: one stream per stage.
    """
    if programme_session.status == SESSION_CANCELLED and status == "on_air":
        raise Conflict(N_("The session is cancelled."))
    existing = session.get(LiveStatus, programme_session.id)
    if status == "scheduled":
        if existing is not None:
            session.delete(existing)
    else:
        if status == "on_air":
            others = session.scalars(
                select(LiveStatus)
                .join(ProgrammeSession, ProgrammeSession.id == LiveStatus.session_id)
                .where(
                    ProgrammeSession.stage_id == programme_session.stage_id,
                    LiveStatus.status == "on_air",
                    LiveStatus.session_id != programme_session.id,
                )
            )
            for other in others:
                other.status = "ended"
                other.changed_at = utcnow()
        if existing is None:
            session.add(
                LiveStatus(session_id=programme_session.id, status=status, changed_at=utcnow())
            )
        else:
            existing.status = status
            existing.changed_at = utcnow()
    add_message(
        session,
        OutboxMessage,
        LIVE_MESSAGE,
        {
            "event": event.slug,
            "stage": programme_session.stage.guid,
            "session": programme_session.id,
            "status": status,
        },
        aggregate=f"event:{event.slug}",
    )
    audit(session, event, LIVE_STATUS_CHANGED, {"session": programme_session.id, "status": status})
    session.flush()


def _local_day(moment: datetime, event: Event) -> date:
    return moment.astimezone(event_timezone(event)).date()


def _first_to_delay(
    session: Session, event: Event, stage: Stage, at: datetime
) -> ProgrammeSession | None:
    on_stage = list(
        session.scalars(
            select(ProgrammeSession)
            .where(
                ProgrammeSession.event_id == event.id,
                ProgrammeSession.stage_id == stage.id,
                ProgrammeSession.status == SESSION_SCHEDULED,
            )
            .order_by(ProgrammeSession.starts_at)
        )
    )
    marks = live_marks(session, [programme_session.id for programme_session in on_stage])
    on_air = next(
        (
            programme_session
            for programme_session in on_stage
            if marks.get(programme_session.id) == "on_air"
        ),
        None,
    )
    if on_air is not None:
        return on_air
    running = next((p for p in on_stage if p.starts_at <= at < p.ends_at), None)
    if running is not None:
        return running
    return next(
        (
            p
            for p in on_stage
            if p.starts_at > at and _local_day(p.starts_at, event) == _local_day(at, event)
        ),
        None,
    )


def announce_delay(
    session: Session,
    event: Event,
    stage: Stage,
    minutes: int,
    *,
    session_id: int | None = None,
    at: datetime | None = None,
) -> tuple[Release, list[ProgrammeSession]]:
    """Move a stage's current (or given) session and the rest of its day by `minutes`, in the
    draft and in a release published right away with only those times changed (so
    registrations, calendars and attendees learn of it, and pending draft edits stay
    unpublished), and a `schedule.live.updated` message for the street screen.
    """
    if not 1 <= minutes <= MAX_DELAY_MINUTES:
        raise Invalid({"minutes": [N_("1 to %(max)s minutes.", max=MAX_DELAY_MINUTES)]})
    at = at or utcnow()
    if session_id is not None:
        first = find_session(session, event, session_id)
        if first is None or first.stage_id != stage.id or first.status != SESSION_SCHEDULED:
            raise Invalid({"session": [N_("Not a scheduled session of this stage.")]})
    else:
        first = _first_to_delay(session, event, stage, at)
        if first is None:
            raise Conflict(N_("Nothing left today on this stage."))
    day = _local_day(first.starts_at, event)
    moved = [
        programme_session
        for programme_session in session.scalars(
            select(ProgrammeSession)
            .where(
                ProgrammeSession.event_id == event.id,
                ProgrammeSession.stage_id == stage.id,
                ProgrammeSession.status == SESSION_SCHEDULED,
                ProgrammeSession.starts_at >= first.starts_at,
            )
            .order_by(ProgrammeSession.starts_at)
        )
        if _local_day(programme_session.starts_at, event) == day
    ]
    shift = timedelta(minutes=minutes)
    last = moved[-1]
    later = session.scalar(
        select(ProgrammeSession)
        .where(
            ProgrammeSession.event_id == event.id,
            ProgrammeSession.stage_id == stage.id,
            ProgrammeSession.status == SESSION_SCHEDULED,
            ProgrammeSession.id.not_in([programme_session.id for programme_session in moved]),
            ProgrammeSession.starts_at < last.ends_at + shift,
            ProgrammeSession.ends_at > last.starts_at + shift,
        )
        .limit(1)
    )
    if later is not None:
        raise Invalid({"minutes": [overlap_message(later, event_timezone(event))]})
    for programme_session in moved:
        programme_session.starts_at += shift
        programme_session.ends_at += shift
    session.flush()
    # The comment is stored with the release and shown as it is: in the event's language.
    comment = N_("Delay on %(stage)s: +%(minutes)s minutes.", stage=stage.name, minutes=minutes)
    # Only the delay goes public: unpublished draft edits stay unpublished.
    release = publish_shift(
        session,
        event,
        {programme_session.id: shift for programme_session in moved},
        comment.translated(translations_for(event.locale)),
    )
    session.add(
        StageDelay(
            stage_id=stage.id, minutes=minutes, first_session_id=first.id, release_id=release.id
        )
    )
    add_message(
        session,
        OutboxMessage,
        LIVE_MESSAGE,
        {
            "event": event.slug,
            "stage": stage.guid,
            "session": first.id,
            "status": "delayed",
            "delay_minutes": minutes,
        },
        aggregate=f"event:{event.slug}",
    )
    audit(
        session,
        event,
        LIVE_DELAYED,
        {
            "stage": stage.guid,
            "stage_name": stage.name,
            "minutes": minutes,
            "sessions": [programme_session.id for programme_session in moved],
            "release": release.number,
        },
    )
    session.flush()
    return release, moved
