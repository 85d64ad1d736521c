"""Odd but possible input gets a 4xx naming the field (or a readable page), never a 500: ids beyond
what the INTEGER columns hold (up to 30 digits), a lone surrogate (JSON can spell `"\\ud800"`),
and times in year 1 or 9999 that overflow when moved between time zones. Against the real apps
on PostgreSQL; the ids also on SQLite (`make run`'s default), where they were 500s."""

from __future__ import annotations

import re

import pytest

from shared.pages.organisers import organiser_session, set_organiser_password
from shared.permissions import Principal
from tests.support.fuzzing import make_target

HUGE_IDS = [2**31, 2**63, 2**64, 10**30]
LONE_SURROGATES = ["Eva \ud800", "\udfff", "Jürgen \udc00 Müller"]
EXTREME_TIMES = [
    "0001-01-01T00:00:00+01:00",  # before datetime.min in UTC
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59-01:00",  # after datetime.max in UTC
    "9999-12-31T23:00:00Z",
]


@pytest.fixture(scope="module")
def registration(amqp_url, tmp_path_factory):
    with make_target("registration", amqp_url, tmp_path_factory) as target:
        yield target


@pytest.fixture(scope="module")
def schedule(amqp_url, tmp_path_factory):
    with make_target("schedule", amqp_url, tmp_path_factory) as target:
        yield target


def organiser_client(app):
    """A test client signed in to the organiser pages (schedule keeps the accounts)."""
    if app.extensions["todo_service"] == "schedule":
        from services.schedule.models import OrganiserAccount

        with app.extensions["todo_db"].transaction() as session:
            if session.get(OrganiserAccount, "fuzz") is None:
                set_organiser_password(session, OrganiserAccount, "fuzz", "ein langes Passwort")
    client = app.test_client()
    with client.session_transaction() as cookie:
        cookie.update(organiser_session(Principal("fuzz")))
    return client


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def assert_refused(response, field: str, status: int = 422) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    assert field in response.get_json()["errors"], response.get_json()


@pytest.mark.parametrize("huge", HUGE_IDS)
def test_huge_session_ids_in_a_registration_are_refused_naming_the_field(registration, huge):
    app, _token, event = registration
    response = app.test_client().post(
        f"/api/v1/events/{event}/registrations",
        json={
            "name": "Eva",
            "email": "eva@example.org",
            "sessions": [huge],
            "locale": "de",
            "consent": True,
        },
    )
    assert_refused(response, "sessions")


@pytest.mark.parametrize("name", LONE_SURROGATES)
def test_a_lone_surrogate_in_a_name_is_refused_naming_the_field(registration, name):
    app, _token, event = registration
    response = app.test_client().post(
        f"/api/v1/events/{event}/registrations",
        json={"name": name, "email": "eva@example.org", "sessions": [1], "consent": True},
    )
    assert_refused(response, "name")


@pytest.mark.parametrize("huge", HUGE_IDS)
def test_huge_ids_in_registration_paths_and_queries_answer_4xx(registration, huge):
    app, token, event = registration
    api = app.test_client()
    pages = organiser_client(app)
    # No such session: the route itself does not match an id no column can hold.
    assert api.get(f"/api/v1/events/{event}/sessions/{huge}/availability").status_code == 404
    assert pages.get(f"/{event}/organiser/registrations/sessions/{huge}").status_code == 404
    listed = api.get(
        f"/api/v1/events/{event}/sessions/1/tickets?page={huge}", headers=bearer(token)
    )
    assert_refused(listed, "page")
    exported = api.get(
        f"/api/v1/events/{event}/attendees.csv?session={huge}", headers=bearer(token)
    )
    assert_refused(exported, "session")
    # Pages treat an id that cannot be one as no choice: the form, the first page, a 404.
    form = pages.get(f"/{event}/register?sessions={huge}", headers={"Accept": "text/html"})
    assert form.status_code == 200 and b'name="email"' in form.data
    first = pages.get(
        f"/{event}/organiser/registrations/sessions/1?page={huge}", headers={"Accept": "text/html"}
    )
    assert first.status_code == 200
    csv = pages.get(f"/{event}/organiser/registrations/attendees.csv?session={huge}")
    assert csv.status_code == 404


@pytest.mark.parametrize("huge", HUGE_IDS)
def test_huge_ids_in_schedule_paths_and_bodies_answer_4xx(schedule, huge):
    app, token, event = schedule
    api = app.test_client()
    assert (
        api.get(f"/api/v1/events/{event}/sessions/{huge}", headers=bearer(token)).status_code == 404
    )
    assert api.get(f"/api/v1/events/{event}/releases/{huge}").status_code == 404
    assert api.get(f"/{event}/sessions/{huge}").status_code == 404
    assert organiser_client(app).get(f"/{event}/organiser/sessions/{huge}").status_code == 404
    changed = api.patch(
        f"/api/v1/events/{event}/sessions/1", json={"speakers": [huge]}, headers=bearer(token)
    )
    assert_refused(changed, "speakers")


@pytest.mark.parametrize("text", LONE_SURROGATES)
def test_lone_surrogates_in_schedule_bodies_are_refused_naming_the_field(schedule, text):
    app, token, event = schedule
    api = app.test_client()
    speaker = api.post(
        f"/api/v1/events/{event}/speakers", json={"name": text}, headers=bearer(token)
    )
    assert_refused(speaker, "name")
    session = api.patch(
        f"/api/v1/events/{event}/sessions/1", json={"title": text}, headers=bearer(token)
    )
    assert_refused(session, "title")
    stage = api.post(
        f"/api/v1/events/{event}/stages",
        json={"name": "Dach", "stream_url": f"https://example.org/{text}"},
        headers=bearer(token),
    )
    assert_refused(stage, "stream_url")


@pytest.mark.parametrize("moment", EXTREME_TIMES)
def test_times_that_overflow_between_zones_are_refused_naming_the_field(schedule, moment):
    app, token, event = schedule
    api = app.test_client()
    live = api.get(f"/api/v1/events/{event}/live", query_string={"at": moment})
    assert_refused(live, "at")
    for field in ("starts_at", "ends_at"):
        changed = api.patch(
            f"/api/v1/events/{event}/sessions/1", json={field: moment}, headers=bearer(token)
        )
        assert_refused(changed, field)
    dated = api.patch(
        f"/api/v1/events/{event}", json={"starts_on": moment[:10]}, headers=bearer(token)
    )
    assert_refused(dated, "starts_on")
    screen = api.get(
        f"/{event}/screen/stage-0", query_string={"at": moment}, headers={"Accept": "text/html"}
    )
    assert screen.status_code == 400 and b"1900" in screen.data


def test_a_session_form_on_day_one_shows_a_readable_message(schedule):
    app, _token, event = schedule
    pages = organiser_client(app)
    form = pages.get(f"/{event}/organiser/sessions/1")
    assert form.status_code == 200
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form.get_data(as_text=True))
    response = pages.post(
        f"/{event}/organiser/sessions/1",
        data={
            "csrf_token": csrf[1],
            "title": "Eröffnung",
            "day": "0001-01-01",
            "start": "00:30",
            "end": "01:00",
            "stage": "stage-0",
            "registration": "none",
            "status": "scheduled",
        },
        headers={"Accept": "text/html"},
    )
    assert response.status_code == 422, response.status_code
    assert "1900" in response.get_data(as_text=True)


@pytest.mark.parametrize("huge", [2**63, 10**30])
def test_huge_ids_on_sqlite_answer_4xx(make_database, make_config, huge):
    from bench.registration_rush import load_programme
    from services.registration.app import create_app

    db = make_database("registration", "sqlite")
    load_programme(db, 40)
    app = create_app(make_config(registration_db=db))
    client = app.test_client()
    assert client.get(f"/api/v1/events/rush/sessions/{huge}/availability").status_code == 404
    form = client.get(f"/rush/register?sessions={huge}", headers={"Accept": "text/html"})
    assert form.status_code == 200
    registered = client.post(
        "/api/v1/events/rush/registrations",
        json={"name": "Eva", "email": "eva@example.org", "sessions": [huge], "consent": True},
    )
    assert_refused(registered, "sessions")
    app.extensions["todo_db"].dispose()


def test_nul_in_a_form_field_gives_a_readable_page(registration):
    app, _token, event = registration
    pages = organiser_client(app)
    form = pages.get(f"/{event}/organiser/check-in", headers={"Accept": "text/html"})
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form.get_data(as_text=True))
    response = pages.post(
        f"/{event}/organiser/check-in",
        data={"csrf_token": csrf[1], "code": "AB\x00CD", "session": ""},
        headers={"Accept": "text/html"},
    )
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert "nicht gespeichert werden können" in response.get_data(as_text=True)


@pytest.mark.parametrize("moment", EXTREME_TIMES)
def test_an_imported_programme_with_odd_values_is_refused_naming_the_fields(moment):
    """`todo import-programme` reads our JSON through the same fields as the API."""
    from marshmallow import ValidationError

    from bench.schedule_reads import generated_programme
    from services.schedule.programme_format import load_programme_document

    document = generated_programme(2)
    document["event"]["starts_on"] = moment[:10]
    document["sessions"][0] |= {"starts_at": moment, "title": "Eröffnung \ud800"}
    with pytest.raises(ValidationError) as refused:
        load_programme_document(document)
    errors = refused.value.messages
    assert "starts_on" in errors["event"]
    assert {"starts_at", "title"} <= set(errors["sessions"][0])


def test_a_query_parameter_the_document_does_not_list_is_refused(registration, schedule):
    """The OpenAPI document lists every query parameter; a misspelt one (`sesion`) is named in a
    422 instead of silently widening the answer (all sessions' attendees)."""
    app, token, event = registration
    exported = app.test_client().get(
        f"/api/v1/events/{event}/attendees.csv?sesion=1", headers=bearer(token)
    )
    assert_refused(exported, "sesion")
    app, _token, event = schedule
    live = app.test_client().get(f"/api/v1/events/{event}/live?a=2030-01-01T10:00:00Z")
    assert_refused(live, "a")
