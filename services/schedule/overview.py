"""What an organiser sees first of one event: the published release, and the sessions of the
day at hand (today, or the event's next day with sessions) with their live state. What needs
attention elsewhere (full sessions, failed mails) the registration and notify services add to
the same page themselves; the draft's unpublished changes come from `releases.changelog_preview`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from services.schedule.draft import event_timezone
from services.schedule.live import live_marks, scheduled_sessions
from services.schedule.models import Event, Release
from services.schedule.releases import latest_release
from shared.calendars import event_day
from shared.db import utcnow

# A session's place in the day at hand.
OVER, RUNNING, UPCOMING = "over", "running", "upcoming"


@dataclass(frozen=True)
class DayAtHand:
    """The sessions of one event day, in order of time, each with `state` and `live_status`."""

    day: date
    today: bool
    sessions: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class ProgrammeOverview:
    release: Release | None
    # None: nothing published, or the event's last day is over.
    day: DayAtHand | None
    # Whether the event's last published session has ended.
    over: bool


def _state(info: dict[str, Any], mark: str | None, now: datetime) -> str:
    if mark == "ended" or datetime.fromisoformat(info["ends_at"]) <= now:
        return OVER
    if mark == "on_air" or datetime.fromisoformat(info["starts_at"]) <= now:
        return RUNNING
    return UPCOMING


def programme_overview(
    session: Session, event: Event, now: datetime | None = None
) -> ProgrammeOverview:
    """The latest release and its sessions of today's event day, or of the next day that has
    sessions (a day runs 04:00-03:59, `shared.calendars.event_day`)."""
    now = now or utcnow()
    release = latest_release(session, event)
    if release is None:
        return ProgrammeOverview(release=None, day=None, over=False)
    zone = event_timezone(event)
    sessions = scheduled_sessions(session, release.id)
    today = event_day(now, zone)
    days = sorted({event_day(datetime.fromisoformat(info["starts_at"]), zone) for info in sessions})
    at_hand = next((day for day in days if day >= today), None)
    over = not sessions or max(datetime.fromisoformat(i["ends_at"]) for i in sessions) <= now
    if at_hand is None:
        return ProgrammeOverview(release=release, day=None, over=over)
    chosen = sorted(
        (
            info
            for info in sessions
            if event_day(datetime.fromisoformat(info["starts_at"]), zone) == at_hand
        ),
        key=lambda info: (datetime.fromisoformat(info["starts_at"]), info["stage"]["name"]),
    )
    marks = live_marks(session, [info["id"] for info in chosen])
    listed = [
        {
            **info,
            "live_status": marks.get(info["id"], "scheduled"),
            "state": _state(info, marks.get(info["id"]), now),
        }
        for info in chosen
    ]
    return ProgrammeOverview(
        release=release, day=DayAtHand(at_hand, at_hand == today, listed), over=over
    )
