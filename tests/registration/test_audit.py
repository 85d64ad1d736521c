"""Registration's audit entries (issue 12): check-ins, attendee lists, CSV exports and settings
changes record who and when in registration's own log and reach the schedule service's log as
`registration.audit.recorded`, through its real handler; the owners read them there."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from services.registration.models import OutboxMessage
from services.schedule.models import ProcessedMessage
from shared.audit import ATTENDEES_EXPORTED, CHECKED_IN, SETTINGS_CHANGED, TICKETS_LISTED
from shared.consumer import Outcome, bind_handlers, handle_once
from shared.db import utcnow
from shared.messages import parse_envelope
from tests.support.audit import ENGLISH, GERMAN, entries_after, last_entry_id, world_in
from tests.support.organisations import EVENT_A, EVENT_B

AUDIT_MESSAGE = "registration.audit.recorded"


@pytest.fixture(scope="module")
def world(tmp_path_factory, amqp_url):
    """Both organisations' events on the three services (tests.support.organisations); each
    test reads only the entries recorded after it began."""
    with world_in(tmp_path_factory.mktemp("audit"), amqp_url) as world:
        yield world


def audit_messages(world) -> list:
    """Registration's unpublished `registration.audit.recorded` messages, oldest first."""
    with world.dbs["registration"].transaction() as session:
        bodies = session.scalars(
            select(OutboxMessage.body)
            .where(OutboxMessage.routing_key == AUDIT_MESSAGE, OutboxMessage.published_at.is_(None))
            .order_by(OutboxMessage.id)
        ).all()
    return [parse_envelope(body) for body in bodies]


def copied(entries: list[dict]) -> list[dict]:
    """Entries as they compare between the two services' logs (each numbers its own)."""
    return [{key: value for key, value in entry.items() if key != "id"} for entry in entries]


def test_lists_exports_and_settings_record_who_when_and_what(world):
    session_id = world.session_id(EVENT_A)
    api, page = f"/api/v1/events/{EVENT_A}", f"/{EVENT_A}/organiser/registrations"
    mark, before = last_entry_id(world, "registration"), utcnow()

    listed = world.send(
        "registration", "GET", f"{api}/sessions/{session_id}/tickets", "registrations"
    )
    assert listed.status_code == 200 and listed.json["total"] == 1
    shown = world.send(
        "registration", "GET", f"{page}/sessions/{session_id}?list=waitlist", "owner"
    )
    assert shown.status_code == 200
    exported = world.send("registration", "GET", f"{api}/attendees.csv", "registrations")
    assert exported.status_code == 200 and "Gast bochum-woche" in exported.text
    one = world.send("registration", "GET", f"{page}/attendees.csv?session={session_id}", "owner")
    assert one.status_code == 200
    settings = {"confirm_email": True, "release_no_shows_after_minutes": 15}
    assert (
        world.send("registration", "PUT", f"{api}/settings", "registrations", settings).status_code
        == 200
    )
    # Saved again unchanged: nothing to record.
    assert (
        world.send("registration", "PUT", f"{api}/settings", "registrations", settings).status_code
        == 200
    )
    form = {"confirm_email": "default", "release_no_shows_after_minutes": "15"}
    assert world.send("registration", "POST", f"{page}/settings", "owner", form).status_code == 303
    # Refused: no list, no entry.
    refused = world.send("registration", "GET", f"{api}/attendees.csv", "viewer")
    assert refused.status_code == 403
    after = utcnow()

    entries = entries_after(world, "registration", mark)
    assert [(entry["actor"], entry["action"]) for entry in entries] == [
        ("registrations-a", TICKETS_LISTED),
        ("owner-a", TICKETS_LISTED),
        ("registrations-a", ATTENDEES_EXPORTED),
        ("owner-a", ATTENDEES_EXPORTED),
        ("registrations-a", SETTINGS_CHANGED),
        ("owner-a", SETTINGS_CHANGED),
    ]
    assert all(entry["event"] == EVENT_A and before <= entry["at"] <= after for entry in entries)
    assert [entry["details"] for entry in entries] == [
        {"session": session_id, "status": None, "checked_in": None, "page": 1, "count": 1},
        {"session": session_id, "status": "waitlisted", "checked_in": None, "page": 1, "count": 0},
        {"session": None, "count": 1},
        {"session": session_id, "count": 1},
        {
            "changes": {
                "confirm_email": [None, True],
                "release_no_shows_after_minutes": [None, 15],
            }
        },
        {"changes": {"confirm_email": [True, None]}},
    ]
    # No personal data: neither in the entries nor in the messages that carry them.
    messages = audit_messages(world)
    assert "gast" not in repr(entries).lower()
    assert "gast" not in "".join(message.to_json() for message in messages).lower()
    assert [message.data for message in messages][-len(entries) :] == copied(entries)


def test_a_check_in_reaches_the_schedule_services_log_once_and_owners_read_it_there(world):
    # B's session is today: its owner checks the ticket in at the door.
    mark = last_entry_id(world, "registration")
    schedule_mark = last_entry_id(world, "schedule")
    code, session_id = world.ticket_code(EVENT_B), world.session_id(EVENT_B)
    checked = world.send(
        "registration", "POST", f"/api/v1/events/{EVENT_B}/checkins", "owner-of-b", {"code": code}
    )
    assert checked.status_code == 200, checked.json
    [entry] = entries_after(world, "registration", mark)
    assert (entry["actor"], entry["action"], entry["event"]) == ("owner-b", CHECKED_IN, EVENT_B)
    assert entry["details"] == {"ticket": checked.json["ticket"], "session": session_id}
    [message] = [m for m in audit_messages(world) if m.data["event"] == EVENT_B]
    assert code not in message.to_json()

    # The schedule service's consumer: its real handler, once per message however often the
    # broker delivers it.
    [(queue, handlers)] = bind_handlers(world.specs["schedule"].handlers, None).items()
    assert (queue.name, set(handlers)) == ("schedule.audit", {AUDIT_MESSAGE})
    handler = handlers[AUDIT_MESSAGE]
    schedule_db = world.dbs["schedule"]
    assert handle_once(schedule_db, ProcessedMessage, queue.name, message, handler) == (
        Outcome.HANDLED
    )
    assert handle_once(schedule_db, ProcessedMessage, queue.name, message, handler) == (
        Outcome.DUPLICATE
    )
    assert copied(entries_after(world, "schedule", schedule_mark)) == copied([entry])

    # What relay and consumer do with the rest: every entry reaches schedule's log.
    before_rest = last_entry_id(world, "schedule")
    world.deliver("registration")
    delivered = entries_after(world, "schedule", before_rest)
    assert CHECKED_IN not in {e["action"] for e in delivered if e["event"] == EVENT_B}

    owner_b = world.browser("schedule", "owner-of-b")
    german = owner_b.get(f"/{EVENT_B}/organiser/audit", headers=GERMAN).get_data(as_text=True)
    assert f"Ticket {entry['details']['ticket']}, Session {session_id}" in german
    assert "Ticket eingecheckt" in german and "owner-b" in german
    english = owner_b.get(f"/{EVENT_B}/organiser/audit", headers=ENGLISH).get_data(as_text=True)
    assert f"Ticket {entry['details']['ticket']}, session {session_id}" in english
    assert "Ticket checked in" in english
    answer = world.send("schedule", "GET", f"/api/v1/events/{EVENT_B}/audit", "owner-of-b")
    assert answer.json["entries"][0] | {"at": None} == {
        "at": None,
        "actor": "owner-b",
        "action": CHECKED_IN,
        "details": entry["details"],
    }


def test_registrations_entries_show_on_the_schedule_page_in_both_languages(world):
    session_id = world.session_id(EVENT_A)
    api = f"/api/v1/events/{EVENT_A}"
    exported = world.send("registration", "GET", f"{api}/attendees.csv", "registrations")
    assert exported.status_code == 200
    listed = world.send(
        "registration", "GET", f"{api}/sessions/{session_id}/tickets", "registrations"
    )
    assert listed.status_code == 200
    world.deliver("registration")

    owner = world.browser("schedule", "owner")
    german = owner.get(f"/{EVENT_A}/organiser/audit", headers=GERMAN).get_data(as_text=True)
    # Newest first: the list after the export.
    assert german.index("Teilnehmendenliste angesehen") < german.index(
        "Teilnehmende exportiert (CSV)"
    )
    assert f"Session {session_id}, Seite 1: 1 Ticket" in german
    assert "Alle Sessions: 1 Zeile" in german
    english = owner.get(f"/{EVENT_A}/organiser/audit", headers=ENGLISH).get_data(as_text=True)
    assert english.index("Attendee list viewed") < english.index("Attendees exported (CSV)")
    assert f"Session {session_id}, page 1: 1 ticket" in english
    assert "All sessions: 1 row" in english
    assert "registrations-a" in english
