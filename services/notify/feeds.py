"""Rendering calendar feeds into stored bytes, once per release or ticket change."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from services.notify import calendars
from services.notify.models import Attendee, Event, Feed, ProgrammeSession, Ticket
from services.notify.models.feed import DAY, PERSONAL, PROGRAMME, TRACK
from services.notify.settings import NotifySettings
from shared.calendars import event_day
from shared.config import Config
from shared.messages.registration import TICKET_CONFIRMED, TICKET_HELD, TICKET_WAITLISTED

PERSONAL_STATUSES = (TICKET_CONFIRMED, TICKET_HELD, TICKET_WAITLISTED)

_PERSONAL_NAME = {"de": "{event} – meine Sessions", "en": "{event} – my sessions"}


@dataclass(frozen=True)
class FeedContext:
    """What rendering needs besides the database: the host of UIDs, the refresh interval and
    the organiser's address (ORGANIZER, which iTIP wants in a PUBLISH calendar); and the
    personal feeds this process rendered last, by what their body depends on (in a rush on
    one session, every new ticket holder's feed is the same)."""

    host: str
    refresh: timedelta
    organizer_email: str
    personal_bodies: dict[tuple, bytes] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of(cls, config: Config, settings: NotifySettings) -> FeedContext:
        return cls(
            host=calendars.calendar_host(config.public_base_url),
            refresh=settings.feed_refresh,
            organizer_email=config.organizer_email,
        )


PERSONAL_BODIES_KEPT = 256

_CHOSEN_NAME = {"de": "{event} – mein Programm", "en": "{event} – my programme"}


@dataclass(frozen=True)
class ChosenCalendar:
    body: bytes
    # When the newest of its sessions last changed (the calendar's Last-Modified).
    changed_at: datetime


def chosen_sessions_calendar(
    session: Session,
    event_slug: str,
    session_ids: list[int],
    context: FeedContext,
    locale: str | None = None,
) -> ChosenCalendar | None:
    """The chosen sessions of the event as one calendar, rendered on request: one session's
    download (the schedule's session page links it) or someone's favourites. Written by the
    same code as every feed (VTIMEZONE, SEQUENCE, ORGANIZER). None if the event or every
    chosen session is unknown here; unknown ids among known ones are left out."""
    event = session.scalar(select(Event).where(Event.slug == event_slug))
    if event is None:
        return None
    chosen = list(
        session.scalars(
            select(ProgrammeSession).where(
                ProgrammeSession.event == event, ProgrammeSession.id.in_(session_ids)
            )
        )
    )
    if not chosen:
        return None
    locale = locale or event.locale
    if len(chosen) == 1:
        name = chosen[0].title_for(locale)
    else:
        name = _CHOSEN_NAME.get(locale, _CHOSEN_NAME["de"]).format(event=event.title)
    body = calendars.feed(
        name,
        chosen,
        host=context.host,
        locale=locale,
        refresh=context.refresh,
        timezone=event.timezone,
        organizer=(context.organizer_email, event.title),
    )
    return ChosenCalendar(body, max(s.modified_at for s in chosen))


def strong_etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:40] + '"'


def store_feed(
    session: Session,
    *,
    event_slug: str,
    kind: str,
    key: str,
    body: bytes,
    changed_at: datetime,
) -> Feed:
    feed = session.scalar(
        select(Feed).where(Feed.event_slug == event_slug, Feed.kind == kind, Feed.key == key)
    )
    if feed is None:
        feed = Feed(event_slug=event_slug, kind=kind, key=key)
        session.add(feed)
    _set_body(feed, body, changed_at)
    return feed


def _set_body(feed: Feed, body: bytes, changed_at: datetime) -> None:
    etag = strong_etag(body)
    if feed.etag == etag:
        return
    feed.body = body
    feed.etag = etag
    feed.last_modified = changed_at.replace(microsecond=0)


def event_days(event: Event, sessions: list[ProgrammeSession]) -> set[str]:
    zone = ZoneInfo(event.timezone)
    days = {
        (event.starts_on + timedelta(days=n)).isoformat()
        for n in range((event.ends_on - event.starts_on).days + 1)
    }
    days.update(event_day(s.starts_at, zone).isoformat() for s in sessions)
    return days


def render_event_feeds(
    session: Session, event: Event, context: FeedContext, changed_at: datetime
) -> None:
    """The programme feed and one feed per track and per day; feeds of tracks and days that no
    longer exist are deleted, so they answer 404."""
    sessions = list(
        session.scalars(select(ProgrammeSession).where(ProgrammeSession.event == event))
    )
    zone = ZoneInfo(event.timezone)

    def render(name: str, chosen: list[ProgrammeSession]) -> bytes:
        return calendars.feed(
            name,
            chosen,
            host=context.host,
            locale=event.locale,
            refresh=context.refresh,
            timezone=event.timezone,
            organizer=(context.organizer_email, event.title),
        )

    store_feed(
        session,
        event_slug=event.slug,
        kind=PROGRAMME,
        key="",
        body=render(event.title, sessions),
        changed_at=changed_at,
    )
    by_track: dict[str, list[ProgrammeSession]] = defaultdict(list)
    track_names: dict[str, str] = {}
    by_day: dict[str, list[ProgrammeSession]] = {day: [] for day in event_days(event, sessions)}
    for programme_session in sessions:
        for track in programme_session.tracks:
            by_track[track["slug"]].append(programme_session)
            track_names[track["slug"]] = track["name"]
        by_day[event_day(programme_session.starts_at, zone).isoformat()].append(programme_session)
    for slug, chosen in by_track.items():
        store_feed(
            session,
            event_slug=event.slug,
            kind=TRACK,
            key=slug,
            body=render(f"{event.title} – {track_names[slug]}", chosen),
            changed_at=changed_at,
        )
    for day, chosen in by_day.items():
        store_feed(
            session,
            event_slug=event.slug,
            kind=DAY,
            key=day,
            body=render(f"{event.title} – {day}", chosen),
            changed_at=changed_at,
        )
    for kind, keys in ((TRACK, set(by_track)), (DAY, set(by_day))):
        session.execute(
            delete(Feed).where(
                Feed.event_slug == event.slug, Feed.kind == kind, Feed.key.not_in(keys)
            )
        )


def render_personal_feeds(
    session: Session, attendees: list[Attendee], context: FeedContext, changed_at: datetime
) -> None:
    """The feeds of the sessions each attendee holds a ticket for, at their current token only
    (a revoked token's feed disappears in the same transaction). Done for many attendees at
    once with a few queries: attendees with the same sessions and language share one body."""
    if not attendees:
        return
    ids = [attendee.id for attendee in attendees]
    holdings: dict[int, dict[int, str]] = defaultdict(dict)
    for attendee_id, session_id, status in session.execute(
        select(Ticket.attendee_id, Ticket.session_id, Ticket.status).where(
            Ticket.attendee_id.in_(ids), Ticket.status.in_(PERSONAL_STATUSES)
        )
    ):
        holdings[attendee_id][session_id] = status
    wanted = {sid for held in holdings.values() for sid in held}
    sessions = {
        s.id: s
        for s in session.scalars(select(ProgrammeSession).where(ProgrammeSession.id.in_(wanted)))
    }
    events = {
        e.slug: e
        for e in session.scalars(
            select(Event).where(Event.slug.in_({a.event_slug for a in attendees}))
        )
    }
    feeds_of: dict[int, list[Feed]] = defaultdict(list)
    for feed in session.scalars(
        select(Feed).where(Feed.kind == PERSONAL, Feed.attendee_id.in_(ids))
    ):
        feeds_of[feed.attendee_id].append(feed)
    bodies = context.personal_bodies
    for attendee in attendees:
        held = {sid: status for sid, status in holdings[attendee.id].items() if sid in sessions}
        event = events.get(attendee.event_slug)
        # Every change of a session's row moves its modified_at (programme.py); the event's
        # title and time zone are in the body too.
        shape = (
            attendee.event_slug,
            attendee.locale,
            tuple((sid, status, sessions[sid].modified_at) for sid, status in sorted(held.items())),
            (event.title, event.timezone) if event is not None else None,
        )
        if shape not in bodies:
            if len(bodies) >= PERSONAL_BODIES_KEPT:
                bodies.clear()
            bodies[shape] = calendars.feed(
                _PERSONAL_NAME[attendee.locale].format(
                    event=event.title if event is not None else attendee.event_slug
                ),
                [sessions[sid] for sid in held],
                host=context.host,
                locale=attendee.locale,
                refresh=context.refresh,
                timezone=event.timezone if event is not None else "Europe/Berlin",
                organizer=(
                    context.organizer_email,
                    event.title if event is not None else attendee.event_slug,
                ),
                tentative=frozenset(
                    sid for sid, status in held.items() if status != TICKET_CONFIRMED
                ),
            )
        current = None
        for feed in feeds_of[attendee.id]:
            if feed.key == attendee.feed_token:
                current = feed
            else:
                session.delete(feed)
        if current is None:
            current = Feed(
                event_slug=attendee.event_slug,
                kind=PERSONAL,
                key=attendee.feed_token,
                attendee_id=attendee.id,
            )
            session.add(current)
        _set_body(current, bodies[shape], changed_at)


def delete_personal_feeds(session: Session, attendee_id: int) -> None:
    session.execute(delete(Feed).where(Feed.kind == PERSONAL, Feed.attendee_id == attendee_id))
