"""Applying programme releases: notify's copy of sessions, SEQUENCE, change mails and feeds."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.notify.feeds import FeedContext, render_event_feeds, render_personal_feeds
from services.notify.mails import Mailer, Recipient, session_details, single_line
from services.notify.models import Attendee, Event, ProgrammeSession, Ticket
from shared.calendars import event_day
from shared.messages.registration import TICKET_CONFIRMED, TICKET_HELD, TICKET_WAITLISTED
from shared.messages.schedule import SESSION_CANCELLED

log = logging.getLogger(__name__)

# Changes a calendar client must act on: they raise SEQUENCE and send mail.
SIGNIFICANT_FIELDS = {
    "starts_at": "time",
    "ends_at": "time",
    "stage_name": "place",
    "stage_address": "place",
    "title": "title",
    "status": "status",
}
# Ticket holders who hear about changes of their session.
CONCERNED_STATUSES = (TICKET_CONFIRMED, TICKET_HELD, TICKET_WAITLISTED)
# A session moved by at most this much (start and end, either way, on the same day, nothing
# else changed) updates the calendars (SEQUENCE up, feeds re-rendered) but mails nobody:
# live programmes slip by a few minutes all the time, and a "changed" mail per ticket for each
# slip (a same-day registrant got six mails within minutes) teaches people to ignore the one
# that matters. Whoever comes a quarter of an hour early or late still catches the session.
QUIET_SHIFT = timedelta(minutes=15)
# A ticket holder with several changed sessions in one release gets one mail about all of them.
CHANGES_TEMPLATE = "programme_changed"


def session_values(info: dict[str, Any]) -> dict[str, Any]:
    stage = info["stage"]
    return {
        "guid": info["guid"],
        "title": info["title"],
        "title_en": info.get("title_en") or "",
        "abstract": info.get("abstract") or "",
        "abstract_en": info.get("abstract_en") or "",
        "starts_at": info["starts_at"],
        "ends_at": info["ends_at"],
        "stage_name": stage["name"],
        "stage_address": stage.get("address") or "",
        "tracks": [{"slug": t["slug"], "name": t["name"]} for t in info.get("tracks", [])],
        "speakers": [
            {
                "name": s["name"],
                "organisation": s.get("organisation", ""),
                "role": s.get("role", ""),
            }
            for s in info.get("speakers", [])
        ],
        "livestream_url": info.get("livestream_url") or stage.get("stream_url") or "",
        "url": info.get("url") or "",
        "status": info["status"],
    }


def _upsert_event(session: Session, info: dict[str, Any], release: dict[str, Any]) -> Event | None:
    """The event, updated to this release; None if this release is not newer than the copy."""
    event = session.scalar(select(Event).where(Event.slug == info["slug"]).with_for_update())
    if event is not None and event.release_number >= release["number"]:
        log.info(
            "release %s of %s is not newer than %s; ignored",
            release["number"],
            info["slug"],
            event.release_number,
        )
        return None
    if event is None:
        event = Event(slug=info["slug"])
        session.add(event)
    event.title = info["title"]
    event.timezone = info["timezone"]
    event.locale = info.get("locale") or "de"
    event.starts_on = info["starts_on"]
    event.ends_on = info["ends_on"]
    event.address = info.get("address") or ""
    event.url = info.get("url") or ""
    event.release_number = release["number"]
    event.released_at = release["published_at"]
    session.flush()
    return event


def apply_release(
    session: Session,
    data: dict[str, Any],
    *,
    mailer: Mailer,
    feed_context: FeedContext,
    cause_message_id: str | None = None,
) -> None:
    """Bring the copy of the programme to this release; mail ticket holders of sessions whose
    time, place or title changed or that were cancelled; re-render the feeds once."""
    event = _upsert_event(session, data["event"], data["release"])
    if event is None:
        return
    released_at = data["release"]["published_at"]
    existing = {
        s.id: s
        for s in session.scalars(
            select(ProgrammeSession).where(ProgrammeSession.event_id == event.id)
        )
    }
    touched: set[int] = set()
    # session -> (what changed, details before the change)
    significant: dict[ProgrammeSession, tuple[set[str], dict[str, Any]]] = {}
    seen: set[int] = set()
    for info in data["sessions"]:
        values = session_values(info)
        seen.add(info["id"])
        current = existing.get(info["id"])
        if current is None:
            current = session.get(ProgrammeSession, info["id"])
        if current is None:
            session.add(
                ProgrammeSession(
                    id=info["id"],
                    event=event,
                    sequence=0,
                    modified_at=released_at,
                    mailed_starts_at=values["starts_at"],
                    mailed_ends_at=values["ends_at"],
                    **values,
                )
            )
            touched.add(info["id"])
            continue
        changed = {name for name, value in values.items() if getattr(current, name) != value}
        if not changed:
            continue
        _apply_change(current, values, changed, released_at, significant)
        touched.add(current.id)
    for current in existing.values():
        if current.id not in seen and not current.cancelled:
            # Gone from the programme: calendars must show it cancelled, not silently drop it.
            _apply_change(
                current, {"status": SESSION_CANCELLED}, {"status"}, released_at, significant
            )
            touched.add(current.id)
    session.flush()

    _queue_change_mails(session, event, significant, mailer, cause_message_id)
    render_event_feeds(session, event, feed_context, released_at)
    attendees = session.scalars(
        select(Attendee).where(
            Attendee.id.in_(select(Ticket.attendee_id).where(Ticket.session_id.in_(touched)))
        )
    )
    render_personal_feeds(session, list(attendees), feed_context, released_at)


def _apply_change(
    current: ProgrammeSession,
    values: dict[str, Any],
    changed: set[str],
    released_at: datetime,
    significant: dict[ProgrammeSession, tuple[set[str], dict[str, Any]]],
) -> None:
    what = {SIGNIFICANT_FIELDS[name] for name in changed if name in SIGNIFICANT_FIELDS}
    if what:
        previous = {locale: session_details(current, locale) for locale in ("de", "en")}
        quiet = what == {"time"} and is_small_shift(current, values)
    for name in changed:
        setattr(current, name, values[name])
    current.modified_at = released_at
    if what:
        current.sequence += 1
        if not quiet:
            significant[current] = (what, previous)
            current.mailed_starts_at, current.mailed_ends_at = current.starts_at, current.ends_at


def is_small_shift(current: ProgrammeSession, values: dict[str, Any]) -> bool:
    """Whether the new times are at most QUIET_SHIFT from those ticket holders were last told
    by mail, start and end alike (several small shifts add up), and keep the session on its
    day (the calendar date and the event's day, see `shared.calendars`)."""
    told_start = current.mailed_starts_at or current.starts_at
    told_end = current.mailed_ends_at or current.ends_at
    starts_at = values.get("starts_at", current.starts_at)
    ends_at = values.get("ends_at", current.ends_at)
    if abs(starts_at - told_start) > QUIET_SHIFT:
        return False
    if abs(ends_at - told_end) > QUIET_SHIFT:
        return False
    zone = ZoneInfo(current.event.timezone)
    return event_day(starts_at, zone) == event_day(told_start, zone) and (
        starts_at.astimezone(zone).date() == told_start.astimezone(zone).date()
    )


@dataclass(frozen=True)
class _Change:
    """What one ticket holder hears about one session of a release."""

    ticket: Ticket
    programme_session: ProgrammeSession
    what: set[str]
    previous: dict[str, Any]

    @property
    def invitation_method(self) -> str | None:
        # Only confirmed attendees got an invitation; the others have nothing to update.
        if self.ticket.status != TICKET_CONFIRMED:
            return None
        return "CANCEL" if self.programme_session.cancelled else "REQUEST"

    def context(self, locale: str) -> dict[str, Any]:
        return {
            "session": session_details(self.programme_session, locale),
            "previous": self.previous[locale],
            "changed": sorted(self.what),
            "ticket_status": self.ticket.status,
        }


def _queue_change_mails(
    session: Session,
    event: Event,
    significant: dict[ProgrammeSession, tuple[set[str], dict[str, Any]]],
    mailer: Mailer,
    cause_message_id: str | None,
) -> None:
    """One mail per ticket holder and release: about their one changed session as before, or
    about all of them in one mail (`CHANGES_TEMPLATE`) with an invitation for each."""
    if not significant:
        return
    by_id = {programme_session.id: programme_session for programme_session in significant}
    tickets = session.scalars(
        select(Ticket)
        .where(Ticket.session_id.in_(by_id), Ticket.status.in_(CONCERNED_STATUSES))
        .order_by(Ticket.attendee_id, Ticket.id)
    )
    changes: dict[int, list[_Change]] = {}
    for ticket in tickets:
        programme_session = by_id[ticket.session_id]
        what, previous = significant[programme_session]
        changes.setdefault(ticket.attendee_id, []).append(
            _Change(ticket, programme_session, what, previous)
        )
    keys = {attendee_id: _change_mail_key(event, found) for attendee_id, found in changes.items()}
    done = mailer.queued_keys(
        session, [Mailer.dedup_key(cause, a, kind) for a, (cause, kind) in keys.items()]
    )
    for attendee_id, found in changes.items():
        cause, kind = keys[attendee_id]
        if Mailer.dedup_key(cause, attendee_id, kind) in done:
            continue
        found.sort(key=lambda change: (change.programme_session.starts_at, change.ticket.id))
        first = found[0]
        attendee = first.ticket.attendee
        # Greeted by the name given with the tickets, or by none when they were given under
        # different names (someone else may have typed one of them for this address).
        names = {change.ticket.name for change in found}
        name = names.pop() if len(names) == 1 else ""
        recipient = Recipient(name, attendee.email, attendee.locale, attendee.id)
        context = attendee_context(mailer, attendee, event, name)
        if len(found) == 1:
            about = {
                "context": {**context, **first.context(attendee.locale)},
                "programme_session": first.programme_session,
                "invitation_method": first.invitation_method,
            }
        else:
            about = {
                "context": {**context, "changes": [c.context(attendee.locale) for c in found]},
                "bundle": {
                    "template": CHANGES_TEMPLATE,
                    "invitations": [
                        (c.programme_session, c.invitation_method)
                        for c in found
                        if c.invitation_method is not None
                    ],
                    "qr_codes": [],
                },
            }
        mailer.queue(
            session,
            kind=kind,
            cause=cause,
            recipient=recipient,
            event_slug=event.slug,
            cause_message_id=cause_message_id,
            known_new=True,
            **about,
        )


def _change_mail_key(event: Event, changes: list[_Change]) -> tuple[str, str]:
    """(cause, kind) of the one change mail of a release to a ticket holder. One change of a
    session is one SEQUENCE value, and a release is applied once: nothing is queued twice."""
    if len(changes) == 1:
        programme_session = changes[0].programme_session
        cause = f"session-{programme_session.id}-seq-{programme_session.sequence}"
    else:
        cause = f"release-{event.id}-{event.release_number}"
    cancelled = all(change.programme_session.cancelled for change in changes)
    return cause, "session_cancelled" if cancelled else "session_changed"


def attendee_context(
    mailer: Mailer, attendee: Attendee, event: Event | None, name: str
) -> dict[str, Any]:
    """What every mail to the attendee shows. `name` greets them: the name given with the
    ticket the mail is about (the attendee's own may have been typed by someone else), or ""
    for a mail about no ticket."""
    feed_url = mailer.personal_feed_url(attendee.event_slug, attendee.feed_token)
    return {
        "name": single_line(name),
        "event_title": event.title if event is not None else attendee.event_slug,
        "manage_url": attendee.manage_url,
        "feed_url": feed_url,
        "webcal_url": "webcal://" + feed_url.split("://", 1)[1],
    }
