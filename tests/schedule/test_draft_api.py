"""The organiser API for the draft: CRUD, validation (422, nothing stored) and tokens (401)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from services.schedule.models import ProgrammeSession, Speaker, Stage, Track

EVENT = "/api/v1/events/woche"


@pytest.fixture
def event(client, organiser_headers):
    response = client.post(
        "/api/v1/events",
        json={
            "slug": "woche",
            "title": "Woche",
            "starts_on": "2024-04-29",
            "ends_on": "2024-05-03",
        },
        headers=organiser_headers,
    )
    assert response.status_code == 201, response.json
    return response.json


@pytest.fixture
def stage(client, organiser_headers, event):
    response = client.post(
        f"{EVENT}/stages",
        json={"guid": "main", "name": "Baseology", "capacity": 40, "stream_url": "https://s/main"},
        headers=organiser_headers,
    )
    assert response.status_code == 201, response.json
    return response.json


@pytest.fixture
def track(client, organiser_headers, event):
    response = client.post(
        f"{EVENT}/tracks",
        json={"slug": "demografie", "name": "Demografie", "color": "#e4572e"},
        headers=organiser_headers,
    )
    assert response.status_code == 201, response.json
    return response.json


@pytest.fixture
def speaker(client, organiser_headers, event):
    response = client.post(
        f"{EVENT}/speakers",
        json={"name": "Heike Bettermann", "organisation": "Agentur für Arbeit", "role": "Chefin"},
        headers=organiser_headers,
    )
    assert response.status_code == 201, response.json
    return response.json


def session_body(**changes) -> dict:
    return {
        "title": "Brücken bauen",
        "stage": "main",
        "starts_at": "2024-04-29T14:30:00+02:00",
        "ends_at": "2024-04-29T15:30:00+02:00",
        "registration": {"mode": "required"},
    } | changes


@pytest.fixture
def draft_session(client, organiser_headers, stage, track, speaker):
    response = client.post(
        f"{EVENT}/sessions",
        json=session_body(tracks=["demografie"], speakers=[speaker["id"]], streamed=True),
        headers=organiser_headers,
    )
    assert response.status_code == 201, response.json
    return response.json


def count(schedule_db, model) -> int:
    with schedule_db.transaction() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_create_read_change_delete_a_session(client, organiser_headers, draft_session, speaker):
    assert draft_session["starts_at"] == "2024-04-29T14:30:00+02:00"
    assert draft_session["tracks"] == ["demografie"]
    assert draft_session["speakers"] == [speaker["id"]]
    assert draft_session["registration"] == {"mode": "required", "capacity": None, "external": None}
    url = f"{EVENT}/sessions/{draft_session['id']}"

    changed = client.patch(
        url,
        json={"title": "Brücken bauen!", "registration": {"mode": "required", "capacity": 25}},
        headers=organiser_headers,
    )
    assert changed.status_code == 200, changed.json
    assert changed.json["title"] == "Brücken bauen!"
    assert changed.json["registration"]["capacity"] == 25
    assert changed.json["starts_at"] == draft_session["starts_at"]
    assert client.get(url, headers=organiser_headers).json["title"] == "Brücken bauen!"
    listed = client.get(f"{EVENT}/sessions", headers=organiser_headers).json
    assert [s["id"] for s in listed] == [draft_session["id"]]

    assert client.delete(url, headers=organiser_headers).status_code == 204
    assert client.get(url, headers=organiser_headers).status_code == 404


def test_stages_tracks_and_speakers_can_be_changed_and_deleted(
    client, organiser_headers, stage, track, speaker
):
    patched = client.patch(f"{EVENT}/stages/main", json={"capacity": 60}, headers=organiser_headers)
    assert patched.json["capacity"] == 60
    assert patched.json["name"] == "Baseology"
    assert (
        client.patch(
            f"{EVENT}/tracks/demografie", json={"name": "Demographie"}, headers=organiser_headers
        ).json["name"]
        == "Demographie"
    )
    assert (
        client.patch(
            f"{EVENT}/speakers/{speaker['id']}", json={"role": "Vorsitz"}, headers=organiser_headers
        ).json["role"]
        == "Vorsitz"
    )
    for url in (
        f"{EVENT}/tracks/demografie",
        f"{EVENT}/speakers/{speaker['id']}",
        f"{EVENT}/stages/main",
    ):
        assert client.delete(url, headers=organiser_headers).status_code == 204
    assert client.get(f"{EVENT}/stages", headers=organiser_headers).json == []


def test_deleting_a_used_stage_is_refused(client, organiser_headers, draft_session):
    response = client.delete(f"{EVENT}/stages/main", headers=organiser_headers)
    assert response.status_code == 409
    assert client.get(f"{EVENT}/stages/main", headers=organiser_headers).status_code == 200


def test_a_stage_cannot_drop_the_capacity_its_sessions_rely_on(
    client, organiser_headers, draft_session
):
    response = client.patch(
        f"{EVENT}/stages/main", json={"capacity": None}, headers=organiser_headers
    )
    assert response.status_code == 422
    assert "capacity" in response.json["errors"]
    assert client.get(f"{EVENT}/stages/main", headers=organiser_headers).json["capacity"] == 40


def test_deleting_a_speaker_removes_them_from_sessions(
    client, organiser_headers, draft_session, speaker
):
    client.delete(f"{EVENT}/speakers/{speaker['id']}", headers=organiser_headers)
    session = client.get(f"{EVENT}/sessions/{draft_session['id']}", headers=organiser_headers)
    assert session.json["speakers"] == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"ends_at": "2024-04-29T14:00:00+02:00"}, "ends_at"),
        ({"ends_at": "2024-04-29T14:30:00+02:00"}, "ends_at"),
        ({"ends_at": "2024-05-01T14:30:00+02:00"}, "ends_at"),
        ({"starts_at": "2024-04-29T14:30:00"}, "starts_at"),
        ({"stage": "nowhere"}, "stage"),
        ({"tracks": ["unknown"]}, "tracks"),
        ({"speakers": [999999]}, "speakers"),
        ({"title": ""}, "title"),
        ({"title": "x" * 301}, "title"),
        ({"abstract": "x" * 20_001}, "abstract"),
        ({"registration": {"mode": "required", "capacity": 10_000_000}}, "registration"),
        ({"registration": {"mode": "required", "capacity": -1}}, "registration"),
        ({"registration": {"mode": "external", "external": "somewhere"}}, "registration"),
        ({"registration": {"mode": "maybe"}}, "registration"),
        ({"status": "postponed"}, "status"),
        ({"speakers": list(range(51))}, "speakers"),
        ({"starts_at": "yesterday"}, "starts_at"),
    ],
)
def test_invalid_sessions_are_refused_with_the_field_and_nothing_is_stored(
    client, organiser_headers, stage, track, schedule_db, changes, field
):
    response = client.post(
        f"{EVENT}/sessions", json=session_body(**changes), headers=organiser_headers
    )
    assert response.status_code == 422, response.json
    assert field in response.json["errors"], response.json
    assert count(schedule_db, ProgrammeSession) == 0


def test_overlap_on_the_same_stage_is_refused(
    client, organiser_headers, draft_session, schedule_db
):
    response = client.post(
        f"{EVENT}/sessions",
        json=session_body(
            starts_at="2024-04-29T15:00:00+02:00", ends_at="2024-04-29T16:00:00+02:00"
        ),
        headers=organiser_headers,
    )
    assert response.status_code == 422
    assert str(draft_session["id"]) in response.json["errors"]["starts_at"][0]
    assert count(schedule_db, ProgrammeSession) == 1


@pytest.mark.parametrize(
    ("language", "message", "overlap"),
    [
        ({}, "Die Eingaben sind ungültig.", "Überschneidet sich mit Session {id} „{title}“"),
        ({"Accept-Language": "en"}, "The input is invalid.", "Overlaps session {id} “{title}”"),
        ({"Accept-Language": "fr, de;q=0.5"}, "Die Eingaben sind ungültig.", "Überschneidet"),
    ],
)
def test_errors_are_in_the_request_language_with_titles_intact(
    client, organiser_headers, stage, language, message, overlap
):
    title = "Arbeit / Zukunft: 100 % %(title)s"
    first = client.post(
        f"{EVENT}/sessions", json=session_body(title=title), headers=organiser_headers
    )
    assert first.status_code == 201, first.json
    response = client.post(
        f"{EVENT}/sessions", json=session_body(), headers=organiser_headers | language
    )
    assert response.status_code == 422
    assert response.json["message"] == message
    (problem,) = response.json["errors"]["starts_at"]
    assert problem.startswith(overlap.format(id=first.json["id"], title=title)), problem


def test_api_errors_follow_the_lang_argument_and_remember_it(client, organiser_headers, event):
    url = f"{EVENT}/stages/nowhere"
    german = client.get(url, headers=organiser_headers)
    assert german.status_code == 404
    assert german.json["message"] == "Bühne nicht gefunden."
    english = client.get(f"{url}?lang=en", headers=organiser_headers)
    assert english.json["message"] == "Stage not found."
    assert client.get(url, headers=organiser_headers).json["message"] == "Stage not found."


def test_back_to_back_sessions_and_a_cancelled_slot_do_not_overlap(
    client, organiser_headers, draft_session
):
    after = client.post(
        f"{EVENT}/sessions",
        json=session_body(
            starts_at="2024-04-29T15:30:00+02:00", ends_at="2024-04-29T16:30:00+02:00"
        ),
        headers=organiser_headers,
    )
    assert after.status_code == 201
    client.patch(
        f"{EVENT}/sessions/{draft_session['id']}",
        json={"status": "cancelled"},
        headers=organiser_headers,
    )
    replacement = client.post(
        f"{EVENT}/sessions", json=session_body(title="Ersatz"), headers=organiser_headers
    )
    assert replacement.status_code == 201, replacement.json


def test_an_invalid_change_leaves_the_session_as_it_was(client, organiser_headers, draft_session):
    url = f"{EVENT}/sessions/{draft_session['id']}"
    response = client.patch(
        url,
        json={"title": "Neu", "ends_at": "2024-04-29T13:00:00+02:00"},
        headers=organiser_headers,
    )
    assert response.status_code == 422
    assert response.json["errors"] == {"ends_at": ["Das Ende liegt nicht nach dem Beginn."]}
    assert client.get(url, headers=organiser_headers).json["title"] == "Brücken bauen"


def test_required_registration_needs_a_capacity_somewhere(client, organiser_headers, event):
    client.post(
        f"{EVENT}/stages", json={"guid": "open", "name": "Open air"}, headers=organiser_headers
    )
    body = session_body(stage="open")
    refused = client.post(f"{EVENT}/sessions", json=body, headers=organiser_headers)
    assert refused.status_code == 422
    assert "capacity" in refused.json["errors"]["registration"]
    body["registration"] = {"mode": "required", "capacity": 30}
    assert client.post(f"{EVENT}/sessions", json=body, headers=organiser_headers).status_code == 201
    body |= {
        "registration": {"mode": "external", "external": "anmeldung@peag.de"},
        "starts_at": "2024-04-30T09:00:00+02:00",
        "ends_at": "2024-04-30T11:00:00+02:00",
    }
    assert client.post(f"{EVENT}/sessions", json=body, headers=organiser_headers).status_code == 201


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/stages", {"name": ""}, "name"),
        ("/stages", {"name": "Big", "capacity": 100_001}, "capacity"),
        ("/stages", {"name": "Bad guid", "guid": "a b"}, "guid"),
        ("/tracks", {"slug": "Not A Slug", "name": "x"}, "slug"),
        ("/tracks", {"slug": "ok", "name": "x", "color": "red"}, "color"),
        ("/speakers", {"name": "x" * 201}, "name"),
    ],
)
def test_invalid_stages_tracks_speakers_are_refused(
    client, organiser_headers, event, schedule_db, path, body, field
):
    response = client.post(f"{EVENT}{path}", json=body, headers=organiser_headers)
    assert response.status_code == 422
    assert field in response.json["errors"]
    assert count(schedule_db, Stage) + count(schedule_db, Track) + count(schedule_db, Speaker) == 0


def test_event_validation(client, organiser_headers):
    response = client.post(
        "/api/v1/events",
        json={
            "slug": "x",
            "title": "X",
            "starts_on": "2024-05-03",
            "ends_on": "2024-04-29",
            "timezone": "Mars/Olympus",
        },
        headers=organiser_headers,
    )
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"ends_on", "timezone"}


def test_duplicates_conflict(client, organiser_headers, stage, event):
    again = client.post(
        f"{EVENT}/stages", json={"guid": "main", "name": "Again"}, headers=organiser_headers
    )
    assert again.status_code == 409
    event_again = client.post(
        "/api/v1/events",
        json={
            "slug": "woche",
            "title": "Woche",
            "starts_on": "2024-04-29",
            "ends_on": "2024-05-03",
        },
        headers=organiser_headers,
    )
    assert event_again.status_code == 409


ORGANISER_CALLS = [
    (
        "post",
        "/api/v1/events",
        {"slug": "x", "title": "X", "starts_on": "2024-04-29", "ends_on": "2024-04-30"},
    ),
    ("get", f"{EVENT}/stages", None),
    ("post", f"{EVENT}/stages", {"name": "x"}),
    ("patch", f"{EVENT}/stages/main", {"name": "x"}),
    ("delete", f"{EVENT}/stages/main", None),
    ("post", f"{EVENT}/tracks", {"slug": "x", "name": "x"}),
    ("delete", f"{EVENT}/tracks/demografie", None),
    ("get", f"{EVENT}/speakers", None),
    ("post", f"{EVENT}/speakers", {"name": "x"}),
    ("get", f"{EVENT}/sessions", None),
    ("post", f"{EVENT}/sessions", session_body()),
    ("patch", f"{EVENT}/sessions/1", {"title": "x"}),
    ("delete", f"{EVENT}/sessions/1", None),
    ("post", f"{EVENT}/releases", {}),
    ("put", f"{EVENT}/sessions/1/live", {"status": "on_air"}),
    ("post", f"{EVENT}/stages/main/delays", {"minutes": 10}),
]


@pytest.mark.parametrize(("method", "url", "body"), ORGANISER_CALLS)
@pytest.mark.parametrize("authorization", [None, "Bearer todo_wrong"])
def test_organiser_calls_need_a_valid_token(
    client, stage, schedule_db, method, url, body, authorization
):
    headers = {"Authorization": authorization} if authorization else {}
    response = getattr(client, method)(url, json=body, headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert count(schedule_db, Stage) == 1


@pytest.mark.parametrize("authorization", ["Basic abc", "Bearer ", "todo_token"])
def test_malformed_authorization_is_refused(client, event, authorization):
    response = client.post(
        f"{EVENT}/stages", json={"name": "x"}, headers={"Authorization": authorization}
    )
    assert response.status_code == 401


def test_an_unknown_event_is_a_404_naming_the_event(client, organiser_headers):
    for path in ("/api/v1/events/nope/stages", "/api/v1/events/nope/releases"):
        response = client.get(path, headers=organiser_headers)
        assert response.status_code == 404, path
        assert "event" in response.json["errors"], path
