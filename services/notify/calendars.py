"""iCalendar documents: feeds (RFC 5545, METHOD:PUBLISH) and invitations (RFC 5546 iTIP).

Every VEVENT of a session has the same UID and SEQUENCE wherever it appears, so a calendar
client that got an invitation and also subscribes to a feed sees one event that stays in step.
Output is deterministic: the same sessions give the same bytes (DTSTAMP of feeds is the time of
the session's last change, not the time of rendering).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import icalendar

from services.notify.models import ProgrammeSession
from shared.calendars import calendar_time, vtimezone
from shared.db import utcnow
from shared.i18n import N_, translations_for
from shared.links import web_url_or_empty

PRODID = "-//to:DO event-week platform//notify//DE"


def calendar_host(public_base_url: str) -> str:
    return urlsplit(public_base_url).hostname or "localhost"


def session_uid(session_id: int, host: str) -> str:
    return f"session-{session_id}@{host}"


def speaker_line(speaker: dict) -> str:
    extra = ", ".join(part for part in (speaker.get("role"), speaker.get("organisation")) if part)
    return f"{speaker['name']} ({extra})" if extra else speaker["name"]


def session_url(session: ProgrammeSession) -> str:
    """The session's (else the event's) web page; addresses stored before links were checked
    are left out, not published."""
    return web_url_or_empty(session.url) or web_url_or_empty(session.event.url)


def session_description(session: ProgrammeSession, locale: str) -> str:
    translations = translations_for(locale)
    parts = []
    abstract = session.abstract_for(locale).strip()
    if abstract:
        parts.append(abstract)
    if session.speakers:
        speakers = "; ".join(speaker_line(s) for s in session.speakers)
        parts.append(N_("With: %(speakers)s", speakers=speakers).translated(translations))
    stream = web_url_or_empty(session.livestream_url)
    if stream:
        parts.append(N_("Livestream: %(url)s", url=stream).translated(translations))
    return "\n\n".join(parts)


def session_event(
    session: ProgrammeSession,
    *,
    host: str,
    locale: str,
    dtstamp: datetime,
    status: str | None = None,
) -> icalendar.Event:
    zone = ZoneInfo(session.event.timezone)
    vevent = icalendar.Event()
    vevent.add("uid", session_uid(session.id, host))
    vevent.add("sequence", session.sequence)
    vevent.add("dtstamp", dtstamp)
    vevent.add("dtstart", calendar_time(session.starts_at, zone))
    vevent.add("dtend", calendar_time(session.ends_at, zone))
    vevent.add("summary", session.title_for(locale))
    if session.location:
        vevent.add("location", session.location)
    description = session_description(session, locale)
    if description:
        vevent.add("description", description)
    url = session_url(session)
    if url:
        vevent.add("url", url)
    if session.tracks:
        vevent.add("categories", [track["name"] for track in session.tracks])
    vevent.add("last-modified", session.modified_at)
    vevent.add("status", "CANCELLED" if session.cancelled else (status or "CONFIRMED"))
    vevent.add("transp", "OPAQUE")
    return vevent


def _serialise(
    calendar: icalendar.Calendar, sessions: Iterable[ProgrammeSession], timezone: str
) -> bytes:
    # An empty feed (a day without sessions) still has a component, as RFC 5545 wants: the
    # time zone of this year.
    years = [s.starts_at.year for s in sessions] or [utcnow().year]
    # VTIMEZONE goes before the events that use it.
    calendar.subcomponents.insert(0, vtimezone(timezone, min(years), max(years)))
    return calendar.to_ical()


def organizer_address(email: str, name: str) -> icalendar.vCalAddress:
    address = icalendar.vCalAddress(f"mailto:{email}")
    address.params["cn"] = icalendar.vText(name)
    return address


def _calendar(method: str) -> icalendar.Calendar:
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    return calendar


def feed(
    name: str,
    sessions: list[ProgrammeSession],
    *,
    host: str,
    locale: str,
    refresh: timedelta,
    timezone: str,
    organizer: tuple[str, str],
    tentative: frozenset[int] = frozenset(),
) -> bytes:
    """A subscribable calendar; sessions in `tentative` (waitlisted ones) are TENTATIVE;
    `organizer` is the (email, name) every event names as its ORGANIZER (iTIP's PUBLISH wants
    one, libical checks it)."""
    calendar = _calendar("PUBLISH")
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", timezone)
    calendar.add("refresh-interval", refresh, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", icalendar.vDuration(refresh))
    ordered = sorted(sessions, key=lambda s: (s.starts_at, s.id))
    for session in ordered:
        vevent = session_event(
            session,
            host=host,
            locale=locale,
            dtstamp=session.modified_at,
            status="TENTATIVE" if session.id in tentative else None,
        )
        vevent.add("organizer", organizer_address(*organizer))
        calendar.add_component(vevent)
    return _serialise(calendar, ordered, timezone)


def invitation_frame(
    session: ProgrammeSession,
    *,
    method: str,
    host: str,
    locale: str,
    dtstamp: datetime,
    organizer_email: str,
    organizer_name: str,
) -> tuple[bytes, bytes]:
    """An iTIP REQUEST (invite or update) or CANCEL without its ATTENDEE, split where that
    line goes: a change mailed to many attendees renders the calendar once."""
    if method not in ("REQUEST", "CANCEL"):
        raise ValueError(f"unsupported iTIP method {method!r}")
    calendar = _calendar(method)
    vevent = session_event(
        session,
        host=host,
        locale=locale,
        dtstamp=dtstamp,
        status="CANCELLED" if method == "CANCEL" else None,
    )
    vevent.add("organizer", organizer_address(organizer_email, organizer_name))
    calendar.add_component(vevent)
    head, tail = _serialise(calendar, [session], session.event.timezone).rsplit(
        b"END:VEVENT\r\n", 1
    )
    return head, b"END:VEVENT\r\n" + tail


def attendee_line(name: str, email: str, method: str) -> bytes:
    """The ATTENDEE content line, escaped and folded by icalendar."""
    attendee = icalendar.vCalAddress(f"mailto:{email}")
    attendee.params["cn"] = icalendar.vText(name)
    attendee.params["role"] = "REQ-PARTICIPANT"
    attendee.params["partstat"] = "ACCEPTED" if method == "REQUEST" else "DECLINED"
    attendee.params["rsvp"] = "FALSE"
    return icalendar.Event().content_line("ATTENDEE", attendee).to_ical() + b"\r\n"


def invitation(
    session: ProgrammeSession,
    *,
    method: str,
    host: str,
    locale: str,
    dtstamp: datetime,
    organizer_email: str,
    organizer_name: str,
    attendee_name: str,
    attendee_email: str,
) -> bytes:
    """An iTIP REQUEST (invite or update) or CANCEL for one attendee of one session."""
    head, tail = invitation_frame(
        session,
        method=method,
        host=host,
        locale=locale,
        dtstamp=dtstamp,
        organizer_email=organizer_email,
        organizer_name=organizer_name,
    )
    return head + attendee_line(attendee_name, attendee_email, method) + tail
