"""Statistics of an event and of its sessions, for organisers: figures only, no personal data
(the `viewer` role reads them). Plain Python on a SQLAlchemy session, the same for the pages
and the API.

What the figures mean:

- **Registrations** are tickets, one per person and session, whatever became of them:
  seated (confirmed, or held until the email address is confirmed) + waiting + cancelled.
- **Over time**: how many tickets were requested (`Ticket.requested_at`) and cancelled
  (`Ticket.cancelled_at`) by the end of each hour, or of each day when the times span more than
  two days; only buckets in which something happened are listed, each with its count and the
  running total. A ticket keeps only its latest request: someone who cancelled and registered
  again counts once, from the second request, and not as a cancellation.
- **The moment a session filled** is computed from the tickets in the order of their times: each
  request adds one, each cancellation takes one away, and the session filled at the first
  request with which seated + waiting reached the capacity. This approximates the moment the last
  free seat was taken (the seats themselves keep no history): it cannot see a capacity changed
  later (today's capacity counts), nor a re-registration's earlier request. A session whose
  count never reached its capacity has not filled (None).
- **Fill rate**: seated / capacity (above 1 after the capacity was lowered below the seats
  taken); None without a capacity.
- **No-shows**, once a session has ended: tickets with a seat at the end that were never checked
  in, and tickets whose seat was released because they were not checked in in time
  (`no_show`); the rate is their share of both. None before the end or without seated tickets.
  For the event: the sum over the sessions that have ended.
- **Check-ins per 15 minutes**, in the event's local time (`Event.timezone`): for each day with
  check-ins, every quarter hour from the first to the last one of that day (empty ones
  included, so a bar chart shows the gaps); a quarter hour that a change of daylight saving
  time skips is not there, one it repeats is there twice (distinct instants).

All times are in the event's time zone (aware datetimes, ISO 8601 with offset in JSON).
Counts are aggregated in SQL; the times are bucketed in Python, which is the same on
PostgreSQL and SQLite (SQLite knows no time zones).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from services.registration.booking import REGISTRABLE_MODE, find_event
from services.registration.models import ProgrammeSession, Ticket
from services.registration.models.ticket import CANCELLED, CONFIRMED, HELD, SEATED, WAITLISTED
from services.registration.reports import find_session
from shared.db import utcnow
from shared.messages.registration import CANCEL_REASONS

HOUR = "hour"
DAY = "day"
# Up to this span from the first to the last time, registrations are counted per hour.
HOURLY_UP_TO = timedelta(days=2)
CHECKIN_BUCKET = timedelta(minutes=15)
NO_SHOW = "no_show"


@dataclass(frozen=True)
class Bucket:
    """What happened from `starts_at` to `ends_at` (local times): `count` of it, `total` so far."""

    starts_at: datetime
    ends_at: datetime
    count: int
    total: int


@dataclass(frozen=True)
class Series:
    """Registrations and cancellations over time, in buckets of an hour or a day."""

    bucket: str
    registrations: list[Bucket]
    cancellations: list[Bucket]


@dataclass(frozen=True)
class CheckInBucket:
    starts_at: datetime
    count: int


@dataclass(frozen=True)
class Figures:
    """Counts of tickets of a session or of the whole event."""

    registrations: int = 0
    confirmed: int = 0
    held: int = 0
    seated: int = 0
    waitlisted: int = 0
    cancelled: int = 0
    # By reason, every reason of `CANCEL_REASONS` (0 where none).
    cancellations: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CANCEL_REASONS, 0))
    checked_in: int = 0
    # Only for sessions that have ended (see the module's docstring).
    no_shows: int | None = None
    no_show_rate: float | None = None


@dataclass(frozen=True)
class SessionStatistics:
    session: int
    title: str
    title_en: str
    stage: str
    starts_at: datetime
    ends_at: datetime
    status: str
    registration_mode: str
    capacity: int | None
    ended: bool
    figures: Figures
    fill_rate: float | None
    filled_at: datetime | None
    # Only in `session_statistics` (the event's figures leave them out).
    over_time: Series | None = None
    checkins: list[CheckInBucket] | None = None

    def display_title(self, locale: str) -> str:
        return self.title_en if locale == "en" and self.title_en else self.title


@dataclass(frozen=True)
class EventStatistics:
    event: str
    title: str
    timezone: str
    at: datetime
    figures: Figures
    over_time: Series
    checkins: list[CheckInBucket]
    sessions: list[SessionStatistics]


@dataclass(frozen=True)
class _Times:
    """One ticket's times (UTC) and what they say; nothing about the person."""

    session_id: int
    requested_at: datetime
    cancelled_at: datetime | None
    checked_in_at: datetime | None


def _counts_query(event_id: int, session_id: int | None):
    """Counts per session, in one statement (the shape of `reports.session_counts`)."""
    no_show = and_(Ticket.status == CANCELLED, Ticket.cancel_reason == NO_SHOW)
    columns = [
        func.count(Ticket.id).label("registrations"),
        func.count(case((Ticket.status == CONFIRMED, 1))).label("confirmed"),
        func.count(case((Ticket.status == HELD, 1))).label("held"),
        func.count(case((Ticket.status == WAITLISTED, 1))).label("waitlisted"),
        func.count(case((Ticket.status == CANCELLED, 1))).label("cancelled"),
        func.count(Ticket.checked_in_at).label("checked_in"),
        func.count(
            case((or_(and_(Ticket.status.in_(SEATED), Ticket.checked_in_at.is_(None)), no_show), 1))
        ).label("no_shows"),
        func.count(case((or_(Ticket.status.in_(SEATED), no_show), 1))).label("no_show_base"),
        *(
            func.count(
                case((and_(Ticket.status == CANCELLED, Ticket.cancel_reason == reason), 1))
            ).label(f"reason_{reason}")
            for reason in CANCEL_REASONS
        ),
    ]
    query = (
        select(ProgrammeSession.id, *columns)
        .outerjoin(Ticket, Ticket.session_id == ProgrammeSession.id)
        .where(ProgrammeSession.event_id == event_id)
        .group_by(ProgrammeSession.id)
    )
    if session_id is not None:
        query = query.where(ProgrammeSession.id == session_id)
    return query


def _times_query(event_id: int, session_id: int | None):
    query = (
        select(
            Ticket.session_id,
            Ticket.requested_at,
            case((Ticket.status == CANCELLED, Ticket.cancelled_at)),
            Ticket.checked_in_at,
        )
        .join(ProgrammeSession, Ticket.session_id == ProgrammeSession.id)
        .where(ProgrammeSession.event_id == event_id)
        .order_by(Ticket.requested_at, Ticket.id)
    )
    if session_id is not None:
        query = query.where(Ticket.session_id == session_id)
    return query


def _aware(moment: datetime | None) -> datetime | None:
    """A time from a `case(...)` column, which bypasses `UTCDateTime` (SQLite: naive UTC)."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _figures(row, ended: bool) -> Figures:
    no_shows = rate = None
    if ended:
        no_shows = row.no_shows
        rate = row.no_shows / row.no_show_base if row.no_show_base else None
    return Figures(
        registrations=row.registrations,
        confirmed=row.confirmed,
        held=row.held,
        seated=row.confirmed + row.held,
        waitlisted=row.waitlisted,
        cancelled=row.cancelled,
        cancellations={reason: getattr(row, f"reason_{reason}") for reason in CANCEL_REASONS},
        checked_in=row.checked_in,
        no_shows=no_shows,
        no_show_rate=rate,
    )


def _sum_figures(sessions: list[tuple[Figures, object]]) -> Figures:
    """The event's figures: sums; no-shows over the sessions that have ended."""
    total = Figures()
    no_shows = base = 0
    any_ended = False
    for figures, row in sessions:
        total = replace(
            total,
            registrations=total.registrations + figures.registrations,
            confirmed=total.confirmed + figures.confirmed,
            held=total.held + figures.held,
            seated=total.seated + figures.seated,
            waitlisted=total.waitlisted + figures.waitlisted,
            cancelled=total.cancelled + figures.cancelled,
            cancellations={
                reason: total.cancellations[reason] + figures.cancellations[reason]
                for reason in CANCEL_REASONS
            },
            checked_in=total.checked_in + figures.checked_in,
        )
        if figures.no_shows is not None:
            any_ended = True
            no_shows += row.no_shows
            base += row.no_show_base
    if not any_ended:
        return total
    return replace(total, no_shows=no_shows, no_show_rate=no_shows / base if base else None)


def filled_at(
    times: Iterable[tuple[datetime, datetime | None]], capacity: int | None
) -> datetime | None:
    """The request with which seated + waiting first reached `capacity`, from each ticket's
    (requested_at, cancelled_at or None); see the module's docstring."""
    if capacity is None or capacity <= 0:
        return None
    steps = []
    for requested_at, cancelled_at in times:
        steps.append((requested_at, 1))
        if cancelled_at is not None:
            steps.append((cancelled_at, -1))
    # At the same instant a cancellation counts first: the seat it frees was there to take.
    steps.sort(key=lambda step: (step[0], step[1]))
    count = 0
    for moment, change in steps:
        count += change
        if change > 0 and count >= capacity:
            return moment
    return None


def _floor(moment: datetime, zone: ZoneInfo, bucket: str) -> datetime:
    """The local start of the hour or day of `moment` (aware, in `zone`)."""
    local = moment.astimezone(zone)
    if bucket == DAY:
        midnight = datetime(local.year, local.month, local.day, tzinfo=zone)
        # Through UTC, so a midnight that a change of time skips becomes a real instant.
        return midnight.astimezone(UTC).astimezone(zone)
    return local.replace(minute=0, second=0, microsecond=0)


def _bucket_end(start: datetime, zone: ZoneInfo, bucket: str) -> datetime:
    if bucket == DAY:
        return _floor(start.astimezone(UTC) + timedelta(hours=26), zone, DAY)
    return (start.astimezone(UTC) + timedelta(hours=1)).astimezone(zone)


def _cumulative(moments: list[datetime], zone: ZoneInfo, bucket: str) -> list[Bucket]:
    # Keyed by the UTC instant: two local 02:00s of the autumn change are different buckets.
    counts = Counter(_floor(moment, zone, bucket).astimezone(UTC) for moment in moments)
    buckets, total = [], 0
    for start in sorted(counts):
        total += counts[start]
        local = start.astimezone(zone)
        buckets.append(Bucket(local, _bucket_end(local, zone, bucket), counts[start], total))
    return buckets


def _series(times: list[_Times], zone: ZoneInfo) -> Series:
    requested = [t.requested_at for t in times]
    cancelled = [t.cancelled_at for t in times if t.cancelled_at is not None]
    moments = requested + cancelled
    bucket = HOUR
    if moments and max(moments) - min(moments) > HOURLY_UP_TO:
        bucket = DAY
    return Series(
        bucket, _cumulative(requested, zone, bucket), _cumulative(cancelled, zone, bucket)
    )


def _quarter(moment: datetime, zone: ZoneInfo) -> datetime:
    local = moment.astimezone(zone)
    return local.replace(minute=local.minute - local.minute % 15, second=0, microsecond=0)


def checkins_per_quarter_hour(moments: Iterable[datetime], zone: ZoneInfo) -> list[CheckInBucket]:
    """Check-ins per 15 minutes of local time, each day from its first to its last quarter hour
    with check-ins (see the module's docstring)."""
    counts = Counter(_quarter(moment, zone).astimezone(UTC) for moment in moments)
    days: dict = defaultdict(list)
    for start in counts:
        days[start.astimezone(zone).date()].append(start)
    buckets = []
    for day in sorted(days):
        start, last = min(days[day]), max(days[day])
        while start <= last:
            buckets.append(CheckInBucket(start.astimezone(zone), counts.get(start, 0)))
            start += CHECKIN_BUCKET
    return buckets


def _session_statistics(
    programme_session: ProgrammeSession,
    row,
    times: list[_Times],
    zone: ZoneInfo,
    now: datetime,
    *,
    detailed: bool,
) -> SessionStatistics:
    ended = programme_session.ends_at <= now
    figures = _figures(row, ended)
    capacity = programme_session.capacity
    fill_rate = figures.seated / capacity if capacity else None
    filled = filled_at(((t.requested_at, t.cancelled_at) for t in times), capacity)
    return SessionStatistics(
        session=programme_session.id,
        title=programme_session.title,
        title_en=programme_session.title_en,
        stage=programme_session.stage,
        starts_at=programme_session.starts_at.astimezone(zone),
        ends_at=programme_session.ends_at.astimezone(zone),
        status=programme_session.status,
        registration_mode=programme_session.registration_mode,
        capacity=capacity,
        ended=ended,
        figures=figures,
        fill_rate=fill_rate,
        filled_at=filled.astimezone(zone) if filled else None,
        over_time=_series(times, zone) if detailed else None,
        checkins=(
            checkins_per_quarter_hour((t.checked_in_at for t in times if t.checked_in_at), zone)
            if detailed
            else None
        ),
    )


def _load(session: Session, event_id: int, session_id: int | None):
    """Rows of the counts per session, and every ticket's times: two statements."""
    rows = {row.id: row for row in session.execute(_counts_query(event_id, session_id))}
    times: dict[int, list[_Times]] = defaultdict(list)
    for session_of, requested_at, cancelled_at, checked_in_at in session.execute(
        _times_query(event_id, session_id)
    ):
        times[session_of].append(
            _Times(session_of, _aware(requested_at), _aware(cancelled_at), _aware(checked_in_at))
        )
    return rows, times


def event_statistics(
    session: Session, event_slug: str, now: datetime | None = None
) -> EventStatistics:
    """The event's figures, over time and per session (those taking registrations here, and any
    other that has tickets), in the order of the programme."""
    now = now or utcnow()
    event_ = find_event(session, event_slug)
    zone = ZoneInfo(event_.timezone)
    programme_sessions = session.scalars(
        select(ProgrammeSession)
        .where(ProgrammeSession.event_id == event_.id)
        .order_by(ProgrammeSession.starts_at, ProgrammeSession.id)
    ).all()
    rows, times = _load(session, event_.id, None)
    sessions = [
        (
            _session_statistics(s, rows[s.id], times[s.id], zone, now, detailed=False),
            rows[s.id],
        )
        for s in programme_sessions
        if s.registration_mode == REGISTRABLE_MODE or rows[s.id].registrations
    ]
    every_time = [t for session_times in times.values() for t in session_times]
    return EventStatistics(
        event=event_.slug,
        title=event_.title,
        timezone=event_.timezone,
        at=now.astimezone(zone),
        figures=_sum_figures([(stats.figures, row) for stats, row in sessions]),
        over_time=_series(every_time, zone),
        checkins=checkins_per_quarter_hour(
            (t.checked_in_at for t in every_time if t.checked_in_at), zone
        ),
        sessions=[stats for stats, _row in sessions],
    )


def session_statistics(
    session: Session, event_slug: str, session_id: int, now: datetime | None = None
) -> SessionStatistics:
    """One session's figures with its registrations over time and check-ins; NotFound (404)
    for a session that is not the event's."""
    now = now or utcnow()
    programme_session = find_session(session, event_slug, session_id)
    zone = ZoneInfo(programme_session.event.timezone)
    rows, times = _load(session, programme_session.event_id, session_id)
    return _session_statistics(
        programme_session, rows[session_id], times[session_id], zone, now, detailed=True
    )
