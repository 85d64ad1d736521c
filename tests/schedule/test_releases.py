"""Publishing releases: numbering, the changelog, refusing empty releases, the outbox message."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from services.schedule.draft import (
    create_session,
    delete_session,
    find_event,
    find_stage,
    list_sessions,
    update_session,
)
from services.schedule.models import OutboxMessage, Release
from services.schedule.releases import changelog_preview, publish_release
from shared.errors import NothingChanged
from shared.messages import parse_envelope
from tests.support.schedule import SIDE_STAGE, berlin


def draft_by_guid(session, event) -> dict:
    return {
        programme_session.guid: programme_session
        for programme_session in list_sessions(session, event)
    }


def publish(db, slug: str, change=None, comment: str = "") -> dict:
    with db.transaction() as session:
        event = find_event(session, slug)
        if change is not None:
            change(session, event, draft_by_guid(session, event))
        return publish_release(session, event, comment).data


def changes_by_guid(data: dict) -> dict:
    guid_of = {info["id"]: info["guid"] for info in data["sessions"]}
    return {guid_of[c["session"]]: (c["kind"], c["fields_changed"]) for c in data["changes"]}


def test_first_release_has_every_session_and_no_changes(schedule_db, published_event):
    with schedule_db.transaction() as session:
        release = session.scalar(select(Release))
        data = release.data
    assert release.number == 1
    assert data["release"]["comment"] == "erste Fassung"
    assert data["changes"] == []
    assert [info["guid"] for info in data["sessions"]] == ["info", "opening", "bridges", "care"]
    opening = data["sessions"][1]
    assert opening["starts_at"] == "2024-04-29T13:00:00+02:00"
    assert opening["registration"] == {"mode": "required", "capacity": 40, "external": None}
    assert opening["livestream_url"] == "https://stream.example/main"
    assert opening["speakers"][0]["name"] == "Thomas Westphal"
    assert data["sessions"][0]["registration"]["mode"] == "none"


def test_changelog_lists_new_moved_changed_and_cancelled(
    any_schedule_db, document, import_document
):
    db = any_schedule_db
    with db.transaction() as session:
        publish_release(session, import_document(session, document).event)

    def edit(session, event, draft):
        update_session(
            session,
            draft["bridges"],
            {"starts_at": berlin("2024-04-29 16:30"), "ends_at": berlin("2024-04-29 17:30")},
        )
        update_session(
            session, draft["care"], {"title": "Pflege sichern", "livestream_url": "https://other"}
        )
        update_session(session, draft["opening"], {"status": "cancelled"})
        update_session(
            session,
            draft["info"],
            {
                "stage": draft["info"].stage.guid,
                "registration": {"mode": "required", "capacity": 12},
            },
        )
        create_session(
            session,
            event,
            {
                "guid": "late",
                "title": "Spät",
                "stage": SIDE_STAGE,
                "starts_at": berlin("2024-04-29 20:00"),
                "ends_at": berlin("2024-04-29 21:00"),
            },
        )

    data = publish(db, "testweek", edit, "zweite Fassung")
    assert data["release"]["number"] == 2
    assert changes_by_guid(data) == {
        "bridges": ("moved", ["starts_at", "ends_at"]),
        "care": ("changed", ["title", "livestream_url"]),
        "opening": ("cancelled", ["status"]),
        "info": ("changed", ["registration"]),
        "late": ("new", []),
    }
    # Cancelled sessions stay in the programme, marked.
    statuses = {info["guid"]: info["status"] for info in data["sessions"]}
    assert statuses["opening"] == "cancelled"

    def restore(session, event, draft):
        update_session(session, draft["opening"], {"status": "scheduled"})

    assert changes_by_guid(publish(db, "testweek", restore)) == {
        "opening": ("restored", ["status"])
    }


def test_moving_to_another_stage_is_a_move(schedule_db, published_event):
    def move(session, event, draft):
        update_session(
            session,
            draft["care"],
            {"stage": SIDE_STAGE, "registration": {"mode": "required", "capacity": 40}},
        )

    assert changes_by_guid(publish(schedule_db, published_event, move)) == {
        "care": ("moved", ["stage"])
    }


def test_speaker_change_is_listed(schedule_db, published_event):
    def drop_speakers(session, event, draft):
        update_session(session, draft["opening"], {"speakers": []})

    assert changes_by_guid(publish(schedule_db, published_event, drop_speakers)) == {
        "opening": ("changed", ["speakers"])
    }


def test_a_deleted_session_stays_in_the_next_release_as_cancelled(schedule_db, published_event):
    def delete(session, event, draft):
        delete_session(session, draft["care"])

    data = publish(schedule_db, published_event, delete)
    assert changes_by_guid(data) == {"care": ("cancelled", ["status"])}
    care = next(info for info in data["sessions"] if info["guid"] == "care")
    assert care["status"] == "cancelled"
    assert care["title"] == "Session care"
    # ...and it does not count as a change again.
    with pytest.raises(NothingChanged):
        publish(schedule_db, published_event)


def test_a_release_that_changes_nothing_is_refused(any_schedule_db, document, import_document):
    with any_schedule_db.transaction() as session:
        publish_release(session, import_document(session, document).event)
    with pytest.raises(NothingChanged) as refused:
        publish(any_schedule_db, "testweek")
    assert refused.value.number == 1
    assert "Nothing changed since release 1" in refused.value.message
    with any_schedule_db.transaction() as session:
        assert len(session.scalars(select(Release)).all()) == 1
        assert len(session.scalars(select(OutboxMessage)).all()) == 1


def test_the_changelog_preview_tells_what_publishing_would_announce_and_writes_nothing(
    schedule_db, published_event
):
    with schedule_db.transaction() as session:
        event = find_event(session, published_event)
        assert changelog_preview(session, event) == ([], False)
        care = draft_by_guid(session, event)["care"]
        update_session(
            session,
            care,
            {"starts_at": berlin("2024-04-30 09:00"), "ends_at": berlin("2024-04-30 10:00")},
        )
        changes, changed = changelog_preview(session, event)
        assert changed
        assert [(c.kind, c.session["guid"]) for c in changes] == [("moved", "care")]
        assert changes[0].before["starts_at"] == "2024-04-29T15:30:00+02:00"
        assert changes[0].session["starts_at"] == "2024-04-30T09:00:00+02:00"
        # Field by field, old and new, in the event's time zone.
        assert [(f.field, f.old.isoformat(), f.new.isoformat()) for f in changes[0].fields] == [
            ("starts_at", "2024-04-29T15:30:00+02:00", "2024-04-30T09:00:00+02:00"),
            ("ends_at", "2024-04-29T16:30:00+02:00", "2024-04-30T10:00:00+02:00"),
        ]
        assert session.query(Release).count() == 1
        assert session.query(OutboxMessage).count() == 1


def test_every_release_goes_to_the_outbox_with_a_valid_message(schedule_db, published_event):
    def edit(session, event, draft):
        update_session(session, draft["care"], {"title": "Pflege"})

    publish(schedule_db, published_event, edit)
    with schedule_db.transaction() as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        releases = {r.number: r.data for r in session.scalars(select(Release))}
    assert [row.routing_key for row in rows] == ["schedule.release.published"] * 2
    assert {row.aggregate for row in rows} == {"event:testweek"}
    for number, row in enumerate(rows, start=1):
        envelope = parse_envelope(row.body)
        assert envelope.type == "schedule.release.published"
        assert json.loads(row.body)["data"] == releases[number]
        assert envelope.data["release"]["number"] == number
        assert len(envelope.data["sessions"]) == 4
    assert json.loads(rows[1].body)["data"]["changes"] == [
        {
            "session": releases[2]["sessions"][3]["id"],
            "kind": "changed",
            "fields_changed": ["title"],
        }
    ]


def test_publish_api_and_old_releases_stay_readable(
    client, organiser_headers, schedule_db, published_event
):
    url = f"/api/v1/events/{published_event}/releases"
    nothing = client.post(url, json={"comment": "noch mal"}, headers=organiser_headers)
    assert nothing.status_code == 409
    assert nothing.json["message"] == "Seit Release 1 hat sich nichts geändert."

    with schedule_db.transaction() as session:
        event = find_event(session, published_event)
        update_session(session, draft_by_guid(session, event)["care"], {"title": "Pflege"})
    created = client.post(url, json={"comment": "Titel"}, headers=organiser_headers)
    assert created.status_code == 201, created.json
    assert created.json["number"] == 2
    assert created.json["changes"][0]["kind"] == "changed"

    listed = client.get(url)
    assert [r["number"] for r in listed.json] == [2, 1]
    assert listed.json[0]["comment"] == "Titel"
    first = client.get(f"{url}/1").json
    assert first["sessions"][3]["title"] == "Session care"
    assert client.get(f"{url}/2").json["sessions"][3]["title"] == "Pflege"
    assert client.get(f"/api/v1/events/{published_event}/programme").json["release"]["number"] == 2
    assert client.get(f"{url}/3").status_code == 404


def test_capacity_follows_the_stage_unless_set(schedule_db, published_event):
    def stage_grows(session, event, draft):
        find_stage(session, event, "stage-main").capacity = 50
        update_session(
            session, draft["care"], {"registration": {"mode": "required", "capacity": 20}}
        )

    data = publish(schedule_db, published_event, stage_grows)
    capacity = {info["guid"]: info["registration"]["capacity"] for info in data["sessions"]}
    assert capacity == {"info": None, "opening": 50, "bridges": 50, "care": 20}
