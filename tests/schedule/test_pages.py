"""The schedule service's pages through the Flask test client: programme, filters, languages,
session page and .ics, login, CSRF, organiser pages and the street screen."""

from __future__ import annotations

import re
from datetime import date, timedelta
from html import unescape

import pytest
from click.testing import CliRunner

from services.schedule.draft import (
    find_event,
    find_session,
    find_stage,
    list_sessions,
    list_stages,
    session_values,
    update_session,
)
from services.schedule.importer import import_programme, move_programme
from services.schedule.live import announce_delay, set_live_status
from services.schedule.models import OrganiserAccount, Release
from services.schedule.programme_format import load_programme_document
from services.schedule.releases import publish_release
from shared.pages.organisers import set_organiser_password
from tests.support.schedule import MAIN_STAGE, SIDE_STAGE, berlin

PASSWORD = "correct horse battery"
HTML = {"Accept": "text/html"}


def text_of(response) -> str:
    """The page's visible text, tags dropped and spaces collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", "", response.text)).split())


def csrf_token(response) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', response.text).group(1)


def session_id(schedule_db, slug: str, guid: str) -> int:
    with schedule_db.transaction() as session:
        event = find_event(session, slug)
        return next(p.id for p in list_sessions(session, event) if p.guid == guid)


@pytest.fixture
def organiser(schedule_db):
    with schedule_db.transaction() as session:
        set_organiser_password(session, OrganiserAccount, "erika", PASSWORD)
    return "erika"


@pytest.fixture
def logged_in(client, organiser):
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"name": organiser, "password": PASSWORD, "csrf_token": csrf_token(page)},
    )
    assert response.status_code == 303
    return client


# -- attendee pages -----------------------------------------------------------------------------


def test_programme_lists_the_sessions_by_day_in_german_by_default(client, published_event):
    page = client.get(f"/{published_event}/")
    assert page.status_code == 200
    text = text_of(page)
    assert '<html lang="de">' in page.text
    assert "Montag, 29. April 2024" in text
    for title in ("Session opening", "Session bridges", "Session care", "Session info"):
        assert title in text
    # In time order: the side stage's 10:00 session comes first.
    assert text.index("Session info") < text.index("Session opening") < text.index("Session care")
    assert "Thomas Westphal" in text
    # The 2024 week is over: no session offers a seat any more, each says it is over.
    assert page.text.count('name="sessions"') == 0
    assert text.count("Diese Session ist vorbei.") == 4
    assert client.get(f"/{published_event}/programme").status_code == 200


def test_programme_filters_by_track_stage_and_format(client, published_event):
    by_track = text_of(client.get(f"/{published_event}/?track=demografie"))
    assert "Session opening" in by_track and "Session bridges" in by_track
    assert "Session care" not in by_track and "Session info" not in by_track

    by_stage = text_of(client.get(f"/{published_event}/?stage={SIDE_STAGE}"))
    assert "Session info" in by_stage and "Session opening" not in by_stage

    nothing = text_of(client.get(f"/{published_event}/?type=workshop&stage={MAIN_STAGE}"))
    assert "Keine Veranstaltung passt zu diesen Filtern." in nothing

    by_day = text_of(client.get(f"/{published_event}/?day=2024-04-30"))
    assert "Session opening" not in by_day


def test_language_from_query_then_cookie_then_accept_language(client, published_event):
    english = client.get(f"/{published_event}/?lang=en")
    assert '<html lang="en">' in english.text
    assert "Monday, 29 April 2024" in text_of(english)
    assert "Reserve a seat" in text_of(english)
    assert "todo_lang=en" in english.headers["Set-Cookie"]
    # Remembered by the cookie.
    assert '<html lang="en">' in client.get(f"/{published_event}/").text
    assert '<html lang="de">' in client.get(f"/{published_event}/?lang=de").text


def test_accept_language_chooses_when_nothing_else_does(schedule_app, published_event):
    client = schedule_app.test_client()
    page = client.get(f"/{published_event}/", headers={"Accept-Language": "en-GB,en;q=0.8"})
    assert '<html lang="en">' in page.text
    page = client.get(f"/{published_event}/", headers={"Accept-Language": "fr-FR"})
    assert '<html lang="de">' in page.text


def test_cancelled_and_live_sessions_are_marked(client, schedule_db, published_event):
    with schedule_db.transaction() as session:
        event = find_event(session, published_event)
        programme_sessions = {p.guid: p for p in list_sessions(session, event)}
        update_session(session, programme_sessions["care"], {"status": "cancelled"})
        set_live_status(session, event, programme_sessions["opening"], "on_air")
        publish_release(session, event)
    page = client.get(f"/{published_event}/")
    card = re.search(
        r'<li class="session-card[^"]*"[^>]*>(?:(?!</li>).)*Session care', page.text, re.S
    )
    assert "session-card--cancelled" in card.group(0)
    text = text_of(page)
    assert "Abgesagt" in text
    assert "Jetzt live" in text
    assert "Diese Session ist vorbei." in text  # the 2024 week is over


def test_unknown_event_is_a_page_for_browsers_and_json_for_programs(client):
    page = client.get("/no-such-week/", headers=HTML)
    assert page.status_code == 404
    assert "Seite nicht gefunden" in text_of(page)
    assert client.get("/no-such-week/").json["code"] == 404


def test_session_page_and_its_calendar_file(client, schedule_db, published_event):
    opening = session_id(schedule_db, published_event, "opening")
    page = client.get(f"/{published_event}/sessions/{opening}")
    text = text_of(page)
    assert "Session opening" in text
    assert "Thomas Westphal, OB, Stadt Dortmund" in text
    assert "Baseology" in text
    assert 'href="https://stream.example/main"' in page.text
    # Over: nothing to register for any more.
    assert "register?sessions" not in page.text and "Diese Session ist vorbei." in text
    assert f'href="webcal://127.0.0.1:8003/{published_event}/calendar.ics"' in page.text

    # The .ics file is written by notify, as every calendar is (tests/notify/test_feeds.py).
    ics = client.get(f"/{published_event}/sessions/{opening}.ics?lang=en")
    assert ics.status_code == 302
    assert ics.headers["Location"] == (
        f"http://127.0.0.1:8003/{published_event}/calendar/sessions/{opening}.ics?lang=en"
    )
    assert client.get(f"/{published_event}/sessions/999999.ics").status_code == 404
    assert client.get(f"/{published_event}/sessions/999999", headers=HTML).status_code == 404


# -- login, CSRF ----------------------------------------------------------------------------


def test_organiser_pages_send_a_stranger_to_the_login(client, published_event):
    response = client.get(f"/{published_event}/organiser/")
    assert response.status_code == 303
    assert response.headers["Location"].startswith("http://127.0.0.1:8001/login?next=")
    assert client.post(f"/{published_event}/organiser/publish").status_code == 400  # no CSRF


def test_password_guessing_from_one_address_is_slowed_down(client, organiser):
    page = client.get("/login")
    guess = {"name": organiser, "password": "guess", "csrf_token": csrf_token(page)}
    answers = [client.post("/login", data=guess).status_code for _ in range(11)]
    assert answers == [401] * 10 + [429]
    refused = client.post(
        "/login", data={**guess, "password": PASSWORD}, headers={"Accept": "text/html"}
    )
    assert refused.status_code == 429
    assert "Zu viele Anmeldeversuche" in text_of(refused)
    assert "Retry-After" in refused.headers
    assert client.get("/login").status_code == 200


def test_login_with_the_right_password_and_logout(client, organiser, published_event):
    page = client.get(f"/login?next=/{published_event}/organiser/")
    wrong = client.post(
        "/login",
        data={"name": organiser, "password": "wrong password", "csrf_token": csrf_token(page)},
    )
    assert wrong.status_code == 401
    assert "Name oder Passwort ist falsch." in text_of(wrong)
    assert 'value="erika"' in wrong.text  # nothing typed is lost (but the password)

    right = client.post(
        "/login",
        data={
            "name": organiser,
            "password": PASSWORD,
            "next": f"/{published_event}/organiser/",
            "csrf_token": csrf_token(wrong),
        },
    )
    assert right.status_code == 303
    assert right.headers["Location"] == f"/{published_event}/organiser/"
    cookie = right.headers["Set-Cookie"]
    assert cookie.startswith("todo_session=") and "HttpOnly" in cookie and "Domain" not in cookie
    dashboard = client.get(f"/{published_event}/organiser/")
    assert dashboard.status_code == 200
    assert "Programmentwurf" in text_of(dashboard)

    logout = client.post("/logout", data={"csrf_token": csrf_token(dashboard)})
    assert logout.status_code == 303
    assert client.get(f"/{published_event}/organiser/").status_code == 303


def test_a_form_without_its_csrf_token_is_refused(client, organiser):
    response = client.post("/login", data={"name": organiser, "password": PASSWORD}, headers=HTML)
    assert response.status_code == 400
    assert "Das Formular ist abgelaufen" in text_of(response)
    assert "todo_session" not in response.headers.get("Set-Cookie", "") or "organiser" not in (
        response.headers.get("Set-Cookie", "")
    )
    forged = client.post(
        "/login", data={"name": organiser, "password": PASSWORD, "csrf_token": "forged"}
    )
    assert forged.status_code == 400


def test_json_api_with_a_bearer_token_needs_no_csrf_token(
    client, published_event, organiser_headers
):
    response = client.post(
        f"/api/v1/events/{published_event}/releases", json={}, headers=organiser_headers
    )
    assert response.status_code == 409  # nothing changed; not refused for a missing CSRF token


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/", "http://127.0.0.1:9999/x", "javascript:alert(1)"],
)
def test_login_never_sends_anyone_to_another_site(client, organiser, target):
    page = client.get("/login")
    response = client.post(
        "/login",
        data={
            "name": organiser,
            "password": PASSWORD,
            "next": target,
            "csrf_token": csrf_token(page),
        },
    )
    assert response.headers["Location"] == "/organiser/"


def test_login_may_return_to_another_service_of_ours(client, organiser):
    page = client.get("/login")
    target = "http://127.0.0.1:8002/todo2024/organiser/"
    response = client.post(
        "/login",
        data={
            "name": organiser,
            "password": PASSWORD,
            "next": target,
            "csrf_token": csrf_token(page),
        },
    )
    assert response.headers["Location"] == target


def test_create_organiser_command_reads_the_password_from_stdin(schedule_db):
    from shared.cli import main

    runner = CliRunner()
    created = runner.invoke(
        main,
        ["create-organiser", "--password-stdin", "max"],
        input=f"{PASSWORD}\n",
        env={"SCHEDULE_DATABASE_URL": schedule_db.url},
    )
    assert created.exit_code == 0, created.output
    assert "created" in created.output
    short = runner.invoke(
        main,
        ["create-organiser", "--password-stdin", "max"],
        input="short\n",
        env={"SCHEDULE_DATABASE_URL": schedule_db.url},
    )
    assert short.exit_code != 0
    with schedule_db.transaction() as session:
        account = session.get(OrganiserAccount, "max")
        assert account.password_hash.startswith(("scrypt:", "pbkdf2:"))
        assert PASSWORD not in account.password_hash


# -- organiser pages ----------------------------------------------------------------------------


def test_organiser_moves_a_session_and_publishes_with_a_changelog_preview(
    logged_in, schedule_db, published_event
):
    client = logged_in
    care = session_id(schedule_db, published_event, "care")
    form_page = client.get(f"/{published_event}/organiser/sessions/{care}")
    assert 'value="15:30"' in form_page.text
    assert "unveröffentlichte" not in text_of(form_page)
    form = {
        "title": "Session care",
        "day": "2024-04-29",
        "start": "17:00",
        "end": "18:00",
        "stage": MAIN_STAGE,
        "type": "talk",
        "status": "scheduled",
        "registration": "required",
        "capacity": "",
        "csrf_token": csrf_token(form_page),
    }
    saved = client.post(f"/{published_event}/organiser/sessions/{care}", data=form)
    assert saved.status_code == 303
    # Every organiser page says that the draft holds something unpublished.
    for page in ("", "stages", "live"):
        text = text_of(client.get(f"/{published_event}/organiser/{page}"))
        assert "1 unveröffentlichte Änderung im Entwurf. Änderungen ansehen" in text, page

    # Still the old time in public until published.
    assert "15:30" in text_of(client.get(f"/{published_event}/?stage={MAIN_STAGE}&lang=de"))
    preview = client.get(f"/{published_event}/organiser/publish")
    preview_text = text_of(preview)
    assert "verschoben" in preview_text and "Session care" in preview_text
    assert "Beginn: Mo. 29. Apr. 2024, 15:30 → Mo. 29. Apr. 2024, 17:00" in preview_text
    with schedule_db.transaction() as session:
        assert session.query(Release).count() == 1  # the preview published nothing

    published = client.post(
        f"/{published_event}/organiser/publish",
        data={"comment": "Pflege später", "csrf_token": csrf_token(preview)},
    )
    assert published.status_code == 303
    assert "Release 2 ist veröffentlicht." in text_of(client.get(published.headers["Location"]))
    programme = text_of(client.get(f"/{published_event}/"))
    assert "17:00–18:00 · Baseology Session care" in programme
    assert "unveröffentlichte" not in text_of(client.get(f"/{published_event}/organiser/"))


def test_session_form_errors_are_shown_next_to_the_field_and_nothing_is_lost(
    logged_in, schedule_db, published_event
):
    client = logged_in
    care = session_id(schedule_db, published_event, "care")
    page = client.get(f"/{published_event}/organiser/sessions/{care}")
    response = client.post(
        f"/{published_event}/organiser/sessions/{care}",
        data={
            "title": "Umbenannt",
            "day": "2024-04-29",
            "start": "14:45",  # overlaps "bridges" on the main stage
            "end": "15:15",
            "stage": MAIN_STAGE,
            "registration": "required",
            "status": "scheduled",
            "csrf_token": csrf_token(page),
        },
    )
    assert response.status_code == 422
    assert re.search(r'class="error" id="error-start-1">Überschneidet sich', response.text)
    assert 'aria-describedby="error-start-1"' in response.text
    assert 'value="Umbenannt"' in response.text
    with schedule_db.transaction() as session:
        event = find_event(session, published_event)
        assert find_session(session, event, care).title == "Session care"


def test_an_organiser_page_of_an_unknown_event_is_a_readable_404(logged_in):
    for path in ("/nope/organiser/", "/nope/organiser/sessions/new", "/nope/organiser/publish"):
        page = logged_in.get(path, headers=HTML)
        assert page.status_code == 404, path
        assert "Seite nicht gefunden" in text_of(page), path
        assert "Die Veranstaltung 'nope' gibt es nicht." in text_of(page), path


def stored_session_values(schedule_db, slug: str, programme_session_id: int) -> dict:
    with schedule_db.transaction() as session:
        return session_values(
            find_session(session, find_event(session, slug), programme_session_id)
        )


@pytest.mark.parametrize(
    ("field", "value"),
    [("title_en", "x" * 301), ("title", ""), ("capacity", "100001"), ("registration", "maybe")],
)
def test_the_session_form_refuses_what_the_api_refuses_naming_the_field(
    logged_in, schedule_db, published_event, organiser_headers, field, value
):
    client = logged_in
    care = session_id(schedule_db, published_event, "care")
    url = f"/{published_event}/organiser/sessions/{care}"
    page = client.get(url)
    form = {
        "title": "Session care",
        "day": "2024-04-29",
        "start": "15:30",
        "end": "16:30",
        "stage": MAIN_STAGE,
        "type": "talk",
        "status": "scheduled",
        "registration": "required",
        "capacity": "20",
        "csrf_token": csrf_token(page),
    } | {field: value}
    before = stored_session_values(schedule_db, published_event, care)
    response = client.post(url, data=form)
    assert response.status_code == 422
    assert f'id="error-{field}-1"' in response.text
    assert f'href="#field-{field}"' in response.text  # the error summary names it too
    assert stored_session_values(schedule_db, published_event, care) == before

    api_body = {"title_en": value} if field == "title_en" else {"title": value}
    if field in ("capacity", "registration"):
        api_body = {
            "registration": {"mode": "required", "capacity": int(value)}
            if field == "capacity"
            else {"mode": value}
        }
    refused = client.patch(
        f"/api/v1/events/{published_event}/sessions/{care}",
        json=api_body,
        headers=organiser_headers,
    )
    assert refused.status_code == 422


def test_the_venue_form_refuses_what_the_api_refuses_naming_the_field(
    logged_in, schedule_db, published_event
):
    client = logged_in
    page = client.get(f"/{published_event}/organiser/stages")
    response = client.post(
        f"/{published_event}/organiser/stages",
        data={"name": "PEAG", "address": "a" * 301, "csrf_token": csrf_token(page)},
    )
    assert response.status_code == 422
    assert 'id="error-address-1"' in response.text
    with schedule_db.transaction() as session:
        names = [stage.name for stage in list_stages(session, find_event(session, published_event))]
    assert "PEAG" not in names


def test_organiser_adds_a_venue_and_a_session(logged_in, schedule_db, published_event):
    client = logged_in
    stages = client.get(f"/{published_event}/organiser/stages")
    added = client.post(
        f"/{published_event}/organiser/stages",
        data={
            "name": "PEAG",
            "address": "Phoenixseestraße 21",
            "capacity": "12",
            "csrf_token": csrf_token(stages),
        },
    )
    assert added.status_code == 303
    with schedule_db.transaction() as session:
        event = find_event(session, published_event)
        guid = next(stage.guid for stage in list_stages(session, event) if stage.name == "PEAG")
    form_page = client.get(f"/{published_event}/organiser/sessions/new")
    response = client.post(
        f"/{published_event}/organiser/sessions/new",
        data={
            "title": "Frühstück",
            "day": "2024-04-30",
            "start": "09:00",
            "end": "10:00",
            "stage": guid,
            "type": "workshop",
            "registration": "required",
            "status": "scheduled",
            "csrf_token": csrf_token(form_page),
        },
    )
    assert response.status_code == 303
    assert "Frühstück" in text_of(client.get(f"/{published_event}/organiser/"))


def test_live_control_marks_on_air_and_announces_a_delay(logged_in, schedule_db, published_event):
    client = logged_in
    page = client.get(f"/{published_event}/organiser/live")
    assert page.status_code == 200
    opening = session_id(schedule_db, published_event, "opening")
    marked = client.post(
        f"/{published_event}/organiser/live/sessions/{opening}",
        data={"status": "on_air", "csrf_token": csrf_token(page)},
    )
    assert marked.status_code == 303
    delayed = client.post(
        f"/{published_event}/organiser/live/stages/{MAIN_STAGE}/delay",
        data={"minutes": "10", "csrf_token": csrf_token(page)},
    )
    assert delayed.status_code == 303
    with schedule_db.transaction() as session:
        event = find_event(session, published_event)
        programme_session = find_session(session, event, opening)
        assert programme_session.starts_at == berlin("2024-04-29 13:10")
    refused = client.post(
        f"/{published_event}/organiser/live/stages/{MAIN_STAGE}/delay",
        data={"minutes": "7", "csrf_token": csrf_token(page)},
    )
    assert refused.status_code == 400


# -- street screen ------------------------------------------------------------------------------


def test_screen_shows_now_next_and_later_at_a_given_moment(client, published_event):
    page = client.get(f"/{published_event}/screen/{MAIN_STAGE}?at=2024-04-29T13:30:00%2B02:00")
    assert page.status_code == 200
    text = text_of(page)
    assert re.search(r"Jetzt live Session opening 13:00–14:30", text)
    assert re.search(r"Als Nächstes Session bridges 14:30–15:30", text)
    assert "Später heute 15:30–16:30 Session care" in text
    assert "<svg" in page.text  # the QR code, rendered here
    assert 'data-at="2024-04-29T13:30:00+02:00"' in page.text

    evening = text_of(
        client.get(f"/{published_event}/screen/{MAIN_STAGE}?at=2024-04-29T20:00:00%2B02:00")
    )
    assert "Gerade läuft hier nichts." in evening
    assert "Heute nichts mehr auf dieser Bühne." in evening


def test_screen_state_shows_delays_and_cancellations(client, schedule_db, published_event):
    with schedule_db.transaction() as session:
        event = find_event(session, published_event)
        programme_sessions = {p.guid: p for p in list_sessions(session, event)}
        update_session(session, programme_sessions["care"], {"status": "cancelled"})
        publish_release(session, event)
        announce_delay(
            session,
            event,
            find_stage(session, event, MAIN_STAGE),
            15,
            at=berlin("2024-04-29 13:30"),
        )
    state = client.get(f"/{published_event}/screen/{MAIN_STAGE}/state?at=2024-04-29T11:30:00Z")
    assert state.status_code == 200
    assert state.headers["Cache-Control"] == "no-store"
    html = state.json["html"]
    text = " ".join(unescape(re.sub(r"<[^>]+>", "", html)).split())
    assert "Session opening 13:15–14:45 15 Min. später" in text
    assert "Session bridges 14:45–15:45 15 Min. später" in text
    assert "Abgesagt 15:30 Session care" in text


def test_screen_refuses_a_moment_without_offset_and_unknown_stages(client, published_event):
    assert (
        client.get(f"/{published_event}/screen/{MAIN_STAGE}?at=2024-04-29T13:30").status_code == 400
    )
    assert client.get(f"/{published_event}/screen/nowhere", headers=HTML).status_code == 404


def test_publish_preview_rolls_back_on_both_databases(any_schedule_db, make_config, document):
    """The preview publishes inside a savepoint; SQLite and PostgreSQL both undo it."""
    from services.schedule.app import create_app
    from services.schedule.importer import import_programme
    from services.schedule.programme_format import load_programme_document

    with any_schedule_db.transaction() as session:
        event = import_programme(session, load_programme_document(document)).event
        publish_release(session, event)
        care = next(p for p in list_sessions(session, event) if p.guid == "care")
        update_session(
            session,
            care,
            {"starts_at": berlin("2024-04-29 18:00"), "ends_at": berlin("2024-04-29 19:00")},
        )
        set_organiser_password(session, OrganiserAccount, "erika", PASSWORD)
    client = create_app(make_config(schedule_db=any_schedule_db)).test_client()
    page = client.get("/login")
    client.post(
        "/login", data={"name": "erika", "password": PASSWORD, "csrf_token": csrf_token(page)}
    )
    for _ in range(2):  # twice: the first preview left nothing behind
        preview = client.get("/testweek/organiser/publish")
        assert preview.status_code == 200
        assert "verschoben" in text_of(preview)
    with any_schedule_db.transaction() as session:
        assert session.query(Release).count() == 1


def test_the_session_form_has_both_languages_tracks_speakers_and_the_stream(
    logged_in, schedule_db, published_event
):
    client = logged_in
    opening = session_id(schedule_db, published_event, "opening")
    path = f"/{published_event}/organiser/sessions/{opening}"
    page = client.get(path)
    assert 'name="abstract_en"' in page.text and 'name="livestream_url"' in page.text
    assert re.search(r'value="demografie" checked', page.text)
    speaker = re.search(r'name="speakers" value="(\d+)" checked> Thomas Westphal', page.text)[1]
    form = {
        "title": "Eröffnung",
        "abstract_en": "The opening, in English.",
        "language": "en",
        "day": "2024-04-29",
        "start": "13:00",
        "end": "14:30",
        "stage": MAIN_STAGE,
        "type": "talk",
        "status": "scheduled",
        "registration": "required",
        "speakers": [speaker],
        "livestream_url": "https://stream.example/eroeffnung",
        "csrf_token": csrf_token(page),
    }
    # No track ticked: the session leaves its track.
    saved = client.post(path, data=form)
    assert saved.status_code == 303
    with schedule_db.transaction() as session:
        changed = find_session(session, find_event(session, published_event), opening)
        assert (changed.abstract_en, changed.language, changed.livestream_url) == (
            "The opening, in English.",
            "en",
            "https://stream.example/eroeffnung",
        )
        assert changed.tracks == [] and [s.name for s in changed.speakers] == ["Thomas Westphal"]
    # What the API refuses, the form shows at its field, with the ticks kept.
    refused = client.post(
        path, data=form | {"speakers": ["x"], "livestream_url": "javascript:alert(1)"}
    )
    assert refused.status_code == 422
    assert 'id="field-speakers"' in refused.text and "field--error" in refused.text
    assert 'id="error-livestream_url-1"' in refused.text


def test_seats_are_offered_until_a_session_begins(client, schedule_db, document):
    """The same programme in the future: a box for each of the three sessions that need
    registration, and none once a session has begun."""
    first_day = date.today() + timedelta(days=30)
    with schedule_db.transaction() as session:
        moved = move_programme(load_programme_document(document), first_day)
        event = import_programme(session, moved, "kuenftig").event
        publish_release(session, event, "erste Fassung")
    page = client.get("/kuenftig/")
    text = text_of(page)
    assert page.text.count('name="sessions"') == 3
    assert "Platz sichern" in text and "Ohne Anmeldung" in text and "vorbei" not in text
    assert f"{first_day.year}" in text  # the day headings carry the year
    opening = session_id(schedule_db, "kuenftig", "opening")
    assert "/kuenftig/register?sessions=" in client.get(f"/kuenftig/sessions/{opening}").text
