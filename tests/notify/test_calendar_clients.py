"""Every calendar the platform serves or mails, read by real calendar software across both changes
of summer time in 2024: ical.js (Thunderbird, Nextcloud Calendar) under Node, libical (Evolution,
GNOME Calendar) and the Python libraries used here (icalendar, vobject, ical). Each must find
the programme's instants, a SEQUENCE and an ORGANIZER in every event, and nothing to complain
about (libical: its parser and its iTIP check per METHOD, RFC 5546) (issue 14)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from services.notify.app import create_app
from tests.support.calendar_clients import PYTHON_CLIENTS, ReadCalendar, missing, read_with
from tests.support.notify import calendar_parts, parse_mail

HOST = "todo.example"
ORGANIZER = "mailto:programm@todo-dortmund.de"

# Session id -> (start, end) as the programme has them. 2024-03-31 02:00 CET -> 03:00 CEST,
# 2024-10-27 03:00 CEST -> 02:00 CET (02:00-02:59 happens twice).
PROGRAMME = {
    1: ("2024-04-29T18:00:00+02:00", "2024-04-29T19:00:00+02:00"),  # summer
    2: ("2024-04-30T01:00:00+02:00", "2024-04-30T02:00:00+02:00"),  # night: day of the 29th
    3: ("2024-03-31T01:30:00+01:00", "2024-03-31T03:30:00+02:00"),  # over the spring change: 1 h
    4: ("2024-10-27T02:15:00+02:00", "2024-10-27T02:45:00+02:00"),  # 02:15 CEST = 00:15 UTC
    5: ("2024-10-27T02:15:00+01:00", "2024-10-27T02:45:00+01:00"),  # 02:15 CET = 01:15 UTC
    6: ("2024-03-30T10:00:00+01:00", "2024-03-30T11:00:00+01:00"),  # winter, before spring
    7: ("2024-10-27T10:00:00+01:00", "2024-10-27T11:00:00+01:00"),  # winter, after autumn
    8: ("2024-10-27T01:30:00+02:00", "2024-10-27T03:30:00+01:00"),  # over the autumn change: 3 h
}
# Release 2 moves session 6 into the repeated hour (its second run): a "changed" mail.
MOVED = {6: ("2024-10-27T02:20:00+01:00", "2024-10-27T02:50:00+01:00")}
CHANGE_TRACK = {"slug": "zeitumstellung", "name": "Zeitumstellung", "color": ""}
DIGITAL_TRACK = {"slug": "digitalisierung", "name": "Digitalisierung", "color": ""}
BOOKING_ID = "6b1f0c2e9d8a4b7c8e5f3a1d2c4b6e8f"


def instants(programme: dict[int, tuple[str, str]]) -> dict[str, tuple[datetime, datetime]]:
    return {
        f"session-{session_id}@{HOST}": (
            datetime.fromisoformat(start).astimezone(UTC),
            datetime.fromisoformat(end).astimezone(UTC),
        )
        for session_id, (start, end) in programme.items()
    }


@dataclass
class Served:
    """One calendar file as the platform served or mailed it, and what it must show."""

    name: str
    text: str
    method: str
    expected: dict[str, tuple[datetime, datetime]]
    statuses: dict[str, str] = field(default_factory=dict)
    sequences: dict[str, int] = field(default_factory=dict)


@pytest.fixture
def client(notify_config, notify_settings):
    return create_app(notify_config, notify_settings).test_client()


@pytest.fixture
def served(deliver, release_data, session_info, ticket_data, mails, client) -> list[Served]:
    """The programme above, tickets, a booking, a cancellation and a move, and then every
    calendar of it: feeds (programme, track, days, personal), downloads and invitations."""

    def sessions(programme):
        return [
            session_info(
                session_id,
                starts_at=start,
                ends_at=end,
                tracks=[CHANGE_TRACK] if session_id in (3, 4, 5, 8) else [DIGITAL_TRACK],
            )
            for session_id, (start, end) in programme.items()
        ]

    first = instants(PROGRAMME)
    deliver("schedule.release.published", release_data(1, sessions=sessions(PROGRAMME)))
    # Anna (1): seats in sessions 3 and 6, on the waiting list of 4 (TENTATIVE in her feed).
    deliver("registration.ticket.confirmed", ticket_data(1, 1, session=3))
    deliver("registration.ticket.confirmed", ticket_data(1, 2, session=6))
    deliver("registration.ticket.waitlisted", ticket_data(1, 3, session=4, status="waitlisted"))
    # Ben (2): a seat in session 5, then cancelled.
    deliver("registration.ticket.confirmed", ticket_data(2, 4, session=5))
    deliver(
        "registration.ticket.cancelled",
        {**ticket_data(2, 4, session=5, status="cancelled"), "reason": "attendee"},
    )
    # Cleo (3): one registration of both 02:15 sessions, one mail with two invitations.
    for index, (ticket_id, session_id) in enumerate(((5, 4), (6, 5))):
        data = ticket_data(3, ticket_id, session=session_id)
        data["booking"] = {"id": BOOKING_ID, "size": 2, "index": index, "tickets": [5, 6]}
        deliver("registration.ticket.confirmed", data)

    def subset(expected, ids):
        return {f"session-{n}@{HOST}": expected[f"session-{n}@{HOST}"] for n in ids}

    def get(url: str) -> str:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return response.data.decode()

    def feed(url, expected, ids, **extra) -> Served:
        return Served(url, get(url), "PUBLISH", subset(expected, ids), **extra)

    personal = "/todo2024/calendar/personal/feedtoken-1-aaaaaaaaaaaaaaaa.ics"
    waitlisted = {f"session-4@{HOST}": "TENTATIVE"}
    documents = [
        feed("/todo2024/calendar.ics", first, PROGRAMME),
        feed("/todo2024/calendar/tracks/zeitumstellung.ics", first, (3, 4, 5, 8)),
        feed("/todo2024/calendar/days/2024-03-30.ics", first, (3, 6)),
        feed("/todo2024/calendar/days/2024-04-29.ics", first, (1, 2)),
        feed("/todo2024/calendar/days/2024-10-26.ics", first, (4, 5, 8)),
        feed("/todo2024/calendar/days/2024-10-27.ics", first, (7,)),
        feed("/todo2024/calendar/days/2024-05-01.ics", first, ()),
        feed(personal, first, (3, 4, 6), statuses=waitlisted),
        feed("/todo2024/calendar/sessions.ics?ids=8,5,4,3&lang=en", first, (3, 4, 5, 8)),
        *(feed(f"/todo2024/calendar/sessions/{n}.ics", first, (n,)) for n in sorted(PROGRAMME)),
    ]

    def invitations(mail) -> list[str]:
        message = parse_mail(mail.message)
        inline = [part.get_content() for part in calendar_parts(message)]
        attached = [part.get_content() for part in message.iter_attachments()]
        return inline + [a.decode() if isinstance(a, bytes) else a for a in attached]

    def mailed(kind, method, expected, **extra) -> list[Served]:
        found = []
        for mail in mails(kind=kind):
            for index, text in enumerate(invitations(mail)):
                ids = [mail.session_id] if mail.session_id is not None else [4, 5]
                found.append(
                    Served(
                        f"{kind} mail {mail.id} to {mail.recipient}, calendar {index}",
                        text,
                        method,
                        subset(expected, ids),
                        **extra,
                    )
                )
        return found

    confirmations = mailed("ticket_confirmed", "REQUEST", first)
    # Anna's two mails and Ben's one (inline and attached, the same), Cleo's booking (inline +
    # one attachment per session).
    assert len(confirmations) == 9, [c.name for c in confirmations]
    booking = [c for c in confirmations if "anna3@" in c.name]
    assert len(booking) == 3
    # The inline part and the first attachment are session 4's, the second attachment 5's.
    for document, session_id in zip(booking, (4, 4, 5), strict=True):
        document.expected = subset(first, (session_id,))
    cancellations = mailed(
        "ticket_cancelled", "CANCEL", first, statuses={f"session-5@{HOST}": "CANCELLED"}
    )
    assert len(cancellations) == 2
    documents += confirmations + cancellations

    second = instants({**PROGRAMME, **MOVED})
    deliver(
        "schedule.release.published", release_data(2, sessions=sessions({**PROGRAMME, **MOVED}))
    )
    moved = {f"session-6@{HOST}": 1}
    changes = mailed("session_changed", "REQUEST", second, sequences=moved)
    assert len(changes) == 2
    documents += [
        *changes,
        feed("/todo2024/calendar.ics", second, PROGRAMME, sequences=moved),
        feed("/todo2024/calendar/days/2024-03-30.ics", second, (3,)),
        feed("/todo2024/calendar/days/2024-10-26.ics", second, (4, 5, 6, 8), sequences=moved),
        feed(personal, second, (3, 4, 6), statuses=waitlisted, sequences=moved),
        feed("/todo2024/calendar/sessions/6.ics", second, (6,), sequences=moved),
    ]

    # The files write a time of the repeated hour so that it cannot be taken for the other
    # 02:15: in UTC (`shared.calendars.calendar_time`); other times in local time with TZID.
    programme = documents[0].text.replace("\r\n ", "")
    assert "DTSTART:20241027T001500Z" in programme and "DTSTART:20241027T011500Z" in programme
    assert "DTSTART;TZID=Europe/Berlin:20240331T013000" in programme
    return documents


def problems_of(document: Served, read: ReadCalendar) -> list[str]:
    """What `read` (one client's reading of `document`) gets wrong, as readable lines."""
    problems = [f"complains: {error}" for error in read.errors]
    times = read.times()
    if set(times) != set(document.expected):
        problems.append(f"events {sorted(times)}, expected {sorted(document.expected)}")
    for uid, (start, end) in document.expected.items():
        if uid in times and times[uid] != (start, end):
            got = " – ".join(t.isoformat() if t else "none" for t in times[uid])
            problems.append(f"{uid} at {got}, expected {start.isoformat()} – {end.isoformat()}")
    if read.method is not None and read.method != document.method:
        problems.append(f"METHOD {read.method}, expected {document.method}")
    for event in read.events:
        # ical.js says "floating" and libical names a built-in zone when the file's own
        # VTIMEZONE did not give them the TZID: the file must carry what it uses.
        if any(zone not in ("UTC", "Europe/Berlin") for zone in event.zones):
            problems.append(f"{event.uid} resolved in zones {event.zones}")
        if event.sequence is None:
            problems.append(f"{event.uid} has no SEQUENCE")
        elif event.sequence != document.sequences.get(event.uid, 0):
            problems.append(f"{event.uid} has SEQUENCE {event.sequence}")
        if event.organizer != ORGANIZER:
            problems.append(f"{event.uid} has ORGANIZER {event.organizer!r}")
        status = document.statuses.get(event.uid, "CONFIRMED")
        if event.status != status:
            problems.append(f"{event.uid} has STATUS {event.status!r}, expected {status}")
    return problems


@pytest.mark.parametrize("clients", [("ical.js",), ("libical",), PYTHON_CLIENTS], ids=" ".join)
def test_every_calendar_shows_the_programmes_times_in_every_client(clients, served):
    reason = missing(clients[0])
    if reason:
        pytest.skip(reason)

    problems = []
    for calendar_client in clients:
        readings = read_with(calendar_client, [document.text for document in served])
        problems += [
            f"{calendar_client}, {document.name}: {problem}"
            for document, read in zip(served, readings, strict=True)
            for problem in problems_of(document, read)
        ]
    assert problems == [], "\n".join(problems)
