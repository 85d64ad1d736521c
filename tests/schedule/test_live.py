"""The livestream schedule: now and next per stage (across DST changes), on-air marks, delays."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from services.schedule.draft import (
    find_event,
    find_session,
    find_stage,
    list_sessions,
    update_session,
)
from services.schedule.live import announce_delay, live_overview, set_live_status
from services.schedule.models import OutboxMessage
from services.schedule.releases import publish_release
from shared.errors import Conflict, Invalid
from shared.messages import parse_envelope
from tests.support.schedule import MAIN_STAGE, SIDE_STAGE, berlin, make_document, session_item


def publish_document(db, import_document, sessions, slug="dst"):
    with db.transaction() as session:
        event = import_document(session, make_document(sessions, slug=slug)).event
        publish_release(session, event)


def now_and_next(db, slug: str, at: str, stage: str = MAIN_STAGE) -> tuple:
    with db.transaction() as session:
        overview = live_overview(session, find_event(session, slug), at=_aware(at))
    by_stage = {entry["stage"]["guid"]: entry for entry in overview["stages"]}
    entry = by_stage[stage]
    return (
        entry["now"]["guid"] if entry["now"] else None,
        entry["next"]["guid"] if entry["next"] else None,
    )


def _aware(text: str) -> datetime:
    return datetime.fromisoformat(text)


# 2024-03-31: clocks go from 02:00 CET to 03:00 CEST. "night" runs 01:30 CET to 03:30 CEST,
# i.e. one real hour (00:30-01:30 UTC); "early" starts at 03:30 CEST (01:30 UTC).
SPRING = [
    session_item("night", "2024-03-31 01:30", 60, registration={"mode": "none"}),
    session_item("early", "2024-03-31 03:30", 60, registration={"mode": "none"}),
]
# 2024-10-27: clocks go from 03:00 CEST back to 02:00 CET; 02:30 happens twice.
# "first" is 02:00-02:45 CEST (00:00-00:45 UTC), "second" starts 02:50 CET (01:50 UTC).
AUTUMN = [
    {
        "guid": "first",
        "title": "Erste Runde",
        "stage": MAIN_STAGE,
        "starts_at": "2024-10-27T02:00:00+02:00",
        "ends_at": "2024-10-27T02:45:00+02:00",
    },
    {
        "guid": "second",
        "title": "Zweite Runde",
        "stage": MAIN_STAGE,
        "starts_at": "2024-10-27T02:50:00+01:00",
        "ends_at": "2024-10-27T03:30:00+01:00",
    },
]


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        ("2024-03-31T01:00:00+01:00", (None, "night")),
        ("2024-03-31T01:45:00+01:00", ("night", "early")),
        # 03:15 CEST is 01:15 UTC: still inside "night", which a wall-clock reading
        # (01:30-02:30) would get wrong.
        ("2024-03-31T03:15:00+02:00", ("night", "early")),
        ("2024-03-31T01:29:59Z", ("night", "early")),
        ("2024-03-31T03:30:00+02:00", ("early", None)),
    ],
)
def test_now_and_next_across_the_spring_change(any_schedule_db, import_document, at, expected):
    publish_document(any_schedule_db, import_document, SPRING)
    assert now_and_next(any_schedule_db, "dst", at) == expected


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        ("2024-10-27T02:30:00+02:00", ("first", "second")),
        # The second 02:30 (CET) is after "first" has ended, before "second" starts.
        ("2024-10-27T02:30:00+01:00", (None, "second")),
        ("2024-10-27T02:55:00+01:00", ("second", None)),
        ("2024-10-27T00:40:00Z", ("first", "second")),
    ],
)
def test_now_and_next_across_the_autumn_change(any_schedule_db, import_document, at, expected):
    publish_document(any_schedule_db, import_document, AUTUMN)
    assert now_and_next(any_schedule_db, "dst", at) == expected


def test_live_answer_has_stream_links_and_local_times(client, published_event):
    response = client.get(
        f"/api/v1/events/{published_event}/live", query_string={"at": "2024-04-29T13:30:00+02:00"}
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    stages = {entry["stage"]["guid"]: entry for entry in response.json["stages"]}
    main = stages[MAIN_STAGE]
    assert main["stage"]["stream_url"] == "https://stream.example/main"
    assert main["now"]["guid"] == "opening"
    assert main["now"]["livestream_url"] == "https://stream.example/main"
    assert main["now"]["live_status"] == "scheduled"
    assert main["now"]["speakers"] == ["Thomas Westphal"]
    assert main["next"]["guid"] == "bridges"
    assert main["next"]["starts_at"] == "2024-04-29T14:30:00+02:00"
    assert stages[SIDE_STAGE]["now"] is None
    assert stages[SIDE_STAGE]["next"] is None


@pytest.mark.parametrize("at", ["2024-04-29T13:30:00", "gestern", "2024-02-30T10:00:00+01:00"])
def test_live_refuses_bad_or_naive_times(client, published_event, at):
    response = client.get(f"/api/v1/events/{published_event}/live", query_string={"at": at})
    assert response.status_code == 422
    assert "at" in response.json["errors"]


def test_on_air_mark_wins_over_the_clock_and_ended_is_never_now(
    client, organiser_headers, schedule_db, published_event
):
    programme = client.get(f"/api/v1/events/{published_event}/programme").json
    ids = {info["guid"]: info["id"] for info in programme["sessions"]}
    base = f"/api/v1/events/{published_event}"
    # The opening ran late and is still on air; asking "now" shows it, then bridges next.
    marked = client.put(
        f"{base}/sessions/{ids['opening']}/live",
        json={"status": "on_air"},
        headers=organiser_headers,
    )
    assert marked.status_code == 200
    live = client.get(f"{base}/live").json
    main = next(e for e in live["stages"] if e["stage"]["guid"] == MAIN_STAGE)
    assert (main["now"]["guid"], main["now"]["live_status"]) == ("opening", "on_air")
    assert main["next"]["guid"] == "bridges"
    # Going on air with the next session ends the one before.
    client.put(
        f"{base}/sessions/{ids['bridges']}/live",
        json={"status": "on_air"},
        headers=organiser_headers,
    )
    live = client.get(f"{base}/live", query_string={"at": "2024-04-29T14:00:00+02:00"}).json
    main = next(e for e in live["stages"] if e["stage"]["guid"] == MAIN_STAGE)
    assert main["now"] is None  # opening is marked ended
    assert main["next"]["guid"] == "care"
    with schedule_db.transaction() as session:
        messages = [
            parse_envelope(r.body)
            for r in session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.routing_key == "schedule.live.updated")
                .order_by(OutboxMessage.id)
            )
        ]
    assert [(m.data["session"], m.data["status"]) for m in messages] == [
        (ids["opening"], "on_air"),
        (ids["bridges"], "on_air"),
    ]
    bad = client.put(
        f"{base}/sessions/{ids['bridges']}/live",
        json={"status": "paused"},
        headers=organiser_headers,
    )
    assert bad.status_code == 422


def test_a_cancelled_session_cannot_go_on_air(schedule_db, published_event):
    with schedule_db.transaction() as session:
        event = find_event(session, published_event)
        programme_session = next(p for p in event_sessions(session, event) if p.guid == "care")
        programme_session.status = "cancelled"
        with pytest.raises(Conflict):
            set_live_status(session, event, programme_session, "on_air")


def event_sessions(session, event):
    return list_sessions(session, event)


def test_delay_moves_the_rest_of_the_day_and_publishes(
    client, organiser_headers, schedule_db, document, import_document
):
    document["sessions"].append(session_item("tomorrow", "2024-04-30 13:00", 60))
    with schedule_db.transaction() as session:
        publish_release(session, import_document(session, document).event)
    response = client.post(
        "/api/v1/events/testweek/stages/stage-main/delays",
        json={"minutes": 15, "at": "2024-04-29T14:40:00+02:00"},
        headers=organiser_headers,
    )
    assert response.status_code == 201, response.json
    assert response.json["release"]["number"] == 2
    programme = client.get("/api/v1/events/testweek/programme").json
    by_guid = {s["guid"]: s for s in programme["sessions"]}
    assert by_guid["opening"]["starts_at"] == "2024-04-29T13:00:00+02:00"
    assert by_guid["bridges"]["starts_at"] == "2024-04-29T14:45:00+02:00"
    assert by_guid["bridges"]["ends_at"] == "2024-04-29T15:45:00+02:00"
    assert by_guid["care"]["starts_at"] == "2024-04-29T15:45:00+02:00"
    assert by_guid["tomorrow"]["starts_at"] == "2024-04-30T13:00:00+02:00"
    assert sorted(response.json["moved"]) == sorted(
        [by_guid["bridges"]["id"], by_guid["care"]["id"]]
    )
    assert {c["session"]: c["kind"] for c in programme["changes"]} == {
        by_guid["bridges"]["id"]: "moved",
        by_guid["care"]["id"]: "moved",
    }
    # In the event's language (German), as it is stored with the release.
    comment = programme["release"]["comment"]
    assert comment.startswith("Verspätung auf ") and comment.endswith(": +15 Minuten."), comment
    with schedule_db.transaction() as session:
        kinds = [
            r.routing_key for r in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        ]
        live = parse_envelope(
            session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first().body
        )
    assert kinds == [
        "schedule.release.published",
        "schedule.release.published",
        "schedule.live.updated",
    ]
    assert live.data == {
        "event": "testweek",
        "stage": "stage-main",
        "session": by_guid["bridges"]["id"],
        "status": "delayed",
        "delay_minutes": 15,
    }


def test_a_delay_publishes_only_the_times_it_shifts(schedule_db, document, import_document):
    with schedule_db.transaction() as session:
        event = import_document(session, document).event
        publish_release(session, event)
        sessions = {s.guid: s for s in event_sessions(session, event)}
        # Draft edits nobody has published yet: a title, and a session's time.
        update_session(session, sessions["opening"], {"title": "Geheimer neuer Titel"})
        update_session(
            session,
            sessions["care"],
            {
                "starts_at": berlin("2024-04-29 17:00"),
                "ends_at": berlin("2024-04-29 18:00"),
            },
        )
        stage = find_stage(session, event, MAIN_STAGE)
        release, _ = announce_delay(session, event, stage, 10, at=berlin("2024-04-29 14:40"))
        published = {info["guid"]: info for info in release.data["sessions"]}
        changed = {change["session"] for change in release.data["changes"]}
        draft = {s.guid: s for s in event_sessions(session, event)}

    assert published["opening"]["title"] != "Geheimer neuer Titel"
    assert published["bridges"]["starts_at"] == "2024-04-29T14:40:00+02:00"
    # Published at its published time plus the delay, not at the draft's 17:00.
    assert published["care"]["starts_at"] == "2024-04-29T15:40:00+02:00"
    assert changed == {published["bridges"]["id"], published["care"]["id"]}
    # The draft keeps its own edits, shifted by the delay as well.
    assert draft["opening"].title == "Geheimer neuer Titel"
    assert draft["care"].starts_at == berlin("2024-04-29 17:10")


def test_a_delay_before_any_release_is_refused(schedule_db, document, import_document):
    with schedule_db.transaction() as session:
        event = import_document(session, document).event
        stage = find_stage(session, event, MAIN_STAGE)
        with pytest.raises(Conflict):
            announce_delay(session, event, stage, 10, at=berlin("2024-04-29 14:40"))


def test_delay_across_the_dst_change_keeps_real_durations(any_schedule_db, import_document):
    publish_document(any_schedule_db, import_document, SPRING)
    with any_schedule_db.transaction() as session:
        event = find_event(session, "dst")
        release, moved = announce_delay(
            session,
            event,
            find_stage(session, event, MAIN_STAGE),
            30,
            at=berlin("2024-03-31 01:40"),
        )
        data = release.data
    assert [p.guid for p in moved] == ["night", "early"]
    times = {s["guid"]: (s["starts_at"], s["ends_at"]) for s in data["sessions"]}
    assert times["night"] == ("2024-03-31T03:00:00+02:00", "2024-03-31T04:00:00+02:00")
    assert times["early"] == ("2024-03-31T04:00:00+02:00", "2024-03-31T05:00:00+02:00")


def test_delay_refuses_what_it_cannot_do(schedule_db, published_event, client, organiser_headers):
    base = f"/api/v1/events/{published_event}/stages"
    late = client.post(
        f"{base}/stage-main/delays",
        json={"minutes": 10, "at": "2024-04-29T23:00:00+02:00"},
        headers=organiser_headers,
    )
    assert late.status_code == 409
    for body in ({"minutes": 0}, {"minutes": 100000}, {"minutes": 10, "at": "2024-04-29T14:00:00"}):
        response = client.post(f"{base}/stage-main/delays", json=body, headers=organiser_headers)
        assert response.status_code == 422, body
    assert (
        client.post(
            f"{base}/nowhere/delays", json={"minutes": 5}, headers=organiser_headers
        ).status_code
        == 404
    )
    with schedule_db.transaction() as session:
        event = find_event(session, published_event)
        info = next(p for p in event_sessions(session, event) if p.guid == "info")
        with pytest.raises(Invalid):
            announce_delay(
                session, event, find_stage(session, event, MAIN_STAGE), 5, session_id=info.id
            )
        assert find_session(session, event, info.id).starts_at == berlin("2024-04-29 10:00")
    assert len(client.get(f"/api/v1/events/{published_event}/releases").json) == 1
