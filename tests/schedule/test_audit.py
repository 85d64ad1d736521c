"""The event's audit log in the schedule service (issue 12): session changes, publishing and
live control record who did them and when, through the API, the pages and `todo`; only owners
read the log, on a page (German and English) and in the API, newest first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.schedule import draft
from shared.audit import (
    LIVE_DELAYED,
    LIVE_STATUS_CHANGED,
    PUBLISHED,
    SESSION_CHANGED,
)
from shared.db import utcnow
from tests.support.audit import ENGLISH, GERMAN, entries_after, last_entry_id, world_in
from tests.support.organisations import EVENT_A, MISSING, PRINCIPALS

API = f"/api/v1/events/{EVENT_A}"
PAGE = f"/{EVENT_A}/organiser"


@pytest.fixture(scope="module")
def world(tmp_path_factory, amqp_url):
    """Both organisations' events on the three services (tests.support.organisations); each
    test reads only the entries recorded after it began."""
    with world_in(tmp_path_factory.mktemp("audit"), amqp_url) as world:
        yield world


def first_session(world) -> dict:
    """EVENT_A's first session with registration: its id, stage, times and seats."""
    session_id = world.session_id(EVENT_A)
    with world.dbs["schedule"].transaction() as session:
        event = draft.find_event(session, EVENT_A)
        found = draft.find_session(session, event, session_id)
        return {
            "id": session_id,
            "stage": found.stage.guid,
            "stage_name": found.stage.name,
            "starts_at": found.starts_at,
            "ends_at": found.ends_at,
            "capacity": found.registration_capacity,
            "tz": draft.event_timezone(event),
        }


def utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def test_changes_publishing_and_live_control_record_who_when_and_what(world):
    programme_session = first_session(world)
    session_id, starts, ends = (programme_session[k] for k in ("id", "starts_at", "ends_at"))
    mark, before = last_entry_id(world, "schedule"), utcnow()

    # A new title is no change of times or seats: not recorded.
    retitled = world.send(
        "schedule", "PATCH", f"{API}/sessions/{session_id}", "programme", {"title": "Neu"}
    )
    assert retitled.status_code == 200, retitled.json
    later = {
        "starts_at": (starts + timedelta(minutes=5)).isoformat(),
        "ends_at": (ends - timedelta(minutes=5)).isoformat(),
        "registration": {"mode": "required", "capacity": 12},
    }
    moved = world.send("schedule", "PATCH", f"{API}/sessions/{session_id}", "programme", later)
    assert moved.status_code == 200, moved.json
    published = world.send(
        "schedule", "POST", f"{API}/releases", "programme", {"comment": "verschoben"}
    )
    assert published.status_code == 201, published.json
    on_air = world.send(
        "schedule", "PUT", f"{API}/sessions/{session_id}/live", "programme", {"status": "on_air"}
    )
    assert on_air.status_code == 200, on_air.json
    delayed = world.send(
        "schedule",
        "POST",
        f"{API}/stages/{programme_session['stage']}/delays",
        "owner",
        {"minutes": 10, "session": session_id},
    )
    assert delayed.status_code == 201, delayed.json
    # The same on a page, with the account's session cookie.
    ended = world.send(
        "schedule", "POST", f"{PAGE}/live/sessions/{session_id}", "programme", {"status": "ended"}
    )
    assert ended.status_code == 303
    after = utcnow()

    entries = entries_after(world, "schedule", mark)
    assert [(entry["actor"], entry["action"]) for entry in entries] == [
        ("programme-a", SESSION_CHANGED),
        ("programme-a", PUBLISHED),
        ("programme-a", LIVE_STATUS_CHANGED),
        ("owner-a", LIVE_DELAYED),
        ("programme-a", LIVE_STATUS_CHANGED),
    ]
    assert all(entry["event"] == EVENT_A for entry in entries)
    assert all(before <= entry["at"] <= after for entry in entries)
    changed, release, marked, delay, marked_ended = (entry["details"] for entry in entries)
    assert changed == {
        "session": session_id,
        "title": "Neu",
        "changes": {
            "starts_at": [utc(starts), utc(starts + timedelta(minutes=5))],
            "ends_at": [utc(ends), utc(ends - timedelta(minutes=5))],
            "capacity": [programme_session["capacity"], 12],
        },
    }
    assert release == {
        "release": published.json["number"],
        "changes": len(published.json["changes"]),
    }
    assert marked == {"session": session_id, "status": "on_air"}
    assert marked_ended == {"session": session_id, "status": "ended"}
    assert delay == {
        "stage": programme_session["stage"],
        "stage_name": programme_session["stage_name"],
        "minutes": 10,
        "sessions": delayed.json["moved"],
        "release": delayed.json["release"]["number"],
    }


def test_the_command_line_is_recorded_as_todo_and_refused_requests_record_nothing(world):
    session_id = world.session_id(EVENT_A)
    mark = last_entry_id(world, "schedule")
    path = f"{API}/sessions/{session_id}"
    # The viewer may not edit, B's owner does not see the event, the programme role does not
    # read the log: nothing happened, nothing is recorded.
    assert world.send("schedule", "PATCH", path, "viewer", {"title": "X"}).status_code == 403
    assert world.send("schedule", "PATCH", path, "owner-of-b", {"title": "X"}).status_code == 404
    assert world.send("schedule", "GET", f"{API}/audit", "programme").status_code == 403
    assert entries_after(world, "schedule", mark) == []

    unpublished = world.send("schedule", "PATCH", path, "programme", {"abstract": "Mehr dazu"})
    assert unpublished.status_code == 200
    world.run_todo("publish", EVENT_A, "--comment", "von der Kommandozeile")
    [entry] = entries_after(world, "schedule", mark)
    assert (entry["actor"], entry["action"]) == ("todo", PUBLISHED)
    assert entry["details"]["changes"] == 1


def test_owners_read_the_log_newest_first_on_the_page_and_in_the_api(world):
    programme_session = first_session(world)
    session_id, tz = programme_session["id"], programme_session["tz"]
    marked = world.send(
        "schedule", "PUT", f"{API}/sessions/{session_id}/live", "programme", {"status": "ended"}
    )
    assert marked.status_code == 200
    world.send("schedule", "PATCH", f"{API}/sessions/{session_id}", "programme", {"abstract": "!"})
    world.run_todo("publish", EVENT_A)
    newest = entries_after(world, "schedule", last_entry_id(world, "schedule") - 1)[0]

    answer = world.send("schedule", "GET", f"{API}/audit", "owner")
    assert answer.status_code == 200, answer.json
    assert answer.json["event"] == EVENT_A
    entries = answer.json["entries"]
    times = [datetime.fromisoformat(entry["at"]) for entry in entries]
    assert times == sorted(times, reverse=True)
    assert times[0] == newest["at"]
    assert entries[0] | {"at": None} == {
        "at": None,
        "actor": "todo",
        "action": PUBLISHED,
        "details": newest["details"],
    }
    assert entries[1] == {
        "at": entries[1]["at"],
        "actor": "programme-a",
        "action": LIVE_STATUS_CHANGED,
        "details": {"session": session_id, "status": "ended"},
    }
    # Every entry of the event, the bundle's first releases by `todo` too, and no other event's.
    assert {entry["action"] for entry in entries} >= {PUBLISHED, LIVE_STATUS_CHANGED}
    assert len(entries) == len(
        [entry for entry in entries_after(world, "schedule") if entry["event"] == EVENT_A]
    )

    browser = world.browser("schedule", "owner")
    german = browser.get(f"{PAGE}/audit", headers=GERMAN)
    assert german.status_code == 200
    text = german.get_data(as_text=True)
    assert "<h1>Protokoll</h1>" in text
    when = newest["at"].astimezone(tz).strftime("%d.%m.%Y %H:%M:%S")
    # Newest first: `todo publish` above the live mark before it.
    assert text.index(when) < text.index("Programm veröffentlicht") < text.index("Beendet")
    assert f"Session {session_id}: Beendet" in text
    assert "Live-Markierung gesetzt" in text and "Release " in text
    english = browser.get(f"{PAGE}/audit", headers=ENGLISH).get_data(as_text=True)
    assert "<h1>Audit log</h1>" in english
    assert english.index("Programme published") < english.index(f"Session {session_id}: Ended")
    assert "Live mark set" in english and "Programm veröffentlicht" not in english


@pytest.mark.parametrize("key", [key for key in PRINCIPALS if key not in ("admin", "owner")])
def test_only_owners_read_the_log(world, key):
    principal = PRINCIPALS[key]
    page = world.send("schedule", "GET", f"{PAGE}/audit", key)
    api = world.send("schedule", "GET", f"{API}/audit", key)
    if principal.organisation == "bochum" and (not principal.events or EVENT_A in principal.events):
        expected = 403
    else:
        # Another organisation's event (or one the member is not on): as if there were none.
        expected = 404
        assert world.send("schedule", "GET", f"/{MISSING}/organiser/audit", key).status_code == 404
    assert (page.status_code, api.status_code) == (expected, expected)


def test_the_navigation_links_the_log_only_for_those_who_may_read_it(world):
    link = f'{PAGE}/audit"'
    for key, shown in (("owner", True), ("admin", True), ("programme", False)):
        page = world.send("schedule", "GET", f"{PAGE}/", key)
        assert page.status_code == 200
        assert (link in page.get_data(as_text=True)) is shown, key
