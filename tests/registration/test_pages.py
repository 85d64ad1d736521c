"""The registration service's pages through Flask's test client: the form, its errors in German
and English, the honeypot, CSRF, the confirmation, the manage page and the organiser pages."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from services.registration.codes import new_code
from services.registration.models import Attendee, Event, Ticket
from services.registration.settings import RegistrationSettings
from shared.db import utcnow
from shared.pages.organisers import organiser_session
from shared.permissions import Principal
from shared.ticket_codes import printed
from tests.support.registration import DAY, EVENT, session_info, ticket_of

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(client, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    return CSRF.search(page.text).group(1)


def attendees(db) -> int:
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(Attendee))


def error_of(html: str, element_id: str) -> str:
    found = re.search(rf'id="{re.escape(element_id)}">([^<]*)<', html)
    assert found, f"no {element_id} in the page"
    return found.group(1)


@pytest.fixture
def programme(registration_db, publish_release):
    """Session 1 has 40 seats, session 2 one seat, session 3 overlaps session 2."""
    publish_release(
        registration_db,
        1,
        [
            session_info(1),
            session_info(2, capacity=1),
            session_info(3, starts_at=DAY + timedelta(hours=2, minutes=30)),
            session_info(4, mode="none"),
        ],
    )
    return registration_db


@pytest.fixture
def client(programme, make_app):
    return make_app(programme).test_client()


def form(token: str, **changes) -> dict:
    data = {
        "csrf_token": token,
        "name": "Erika Muster",
        "email": "Erika@Example.org",
        "locale": "de",
        "consent": "yes",
        "sessions": ["1", "2"],
        "website": "",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_form_shows_the_chosen_sessions_with_free_seats(client, register_one, programme):
    register_one(programme, "first@example.org", [2])
    page = client.get(f"/{EVENT}/register?sessions=1,2")
    assert page.status_code == 200
    html = page.text
    assert "Session 1" in html and "Session 2" in html and "Session 3" not in html
    assert re.search(r'id="field-session-1" name="sessions" value="1" checked', html)
    assert "40 Plätze frei" in html and "Ausgebucht – Warteliste" in html
    assert "Fassung 2024-04-01" in html
    # The honeypot is out of sight and out of the accessibility tree.
    assert re.search(r'<div class="hp-field" aria-hidden="true">', html)
    assert 'name="website"' in html and 'tabindex="-1"' in html
    english = client.get(f"/{EVENT}/register?sessions=1&lang=en").text
    assert "Session 1 (en)" in english and "40 seats free" in english


def test_form_without_a_choice_offers_every_open_session(client):
    html = client.get(f"/{EVENT}/register").text
    assert all(f"Session {n}" in html for n in (1, 2, 3))
    assert "Session 4" not in html  # needs no registration


def test_registering_shows_a_seat_and_a_waiting_list_place(client, register_one, programme):
    register_one(programme, "first@example.org", [2])
    token = csrf_token(client, f"/{EVENT}/register?sessions=1,2")
    posted = client.post(f"/{EVENT}/register?sessions=1,2&lang=de", data=form(token))
    # POST/redirect/GET: reloading the page shows it again and registers nothing.
    assert posted.status_code == 303
    receipt = posted.headers["Location"]
    assert receipt.startswith(f"/{EVENT}/registered/") and receipt.endswith("?lang=de")
    html = client.get(receipt).text
    assert "Danke für deine Anmeldung" in html
    assert "Platz bestätigt" in html and "Warteliste, Platz 1" in html
    # The address masked, no link, no code: whoever registered may not own the address.
    assert "er***@example.org" in html and "E-Mail-Postfach" in html
    assert "erika@example.org" not in html and "/manage/" not in html
    assert ticket_of(programme, "erika@example.org", 1).code not in html
    assert "Thank you for registering" in client.get(receipt.replace("lang=de", "lang=en")).text
    with programme.transaction() as session:
        attendee = session.scalar(select(Attendee).where(Attendee.email == "erika@example.org"))
        statuses = dict(
            session.execute(
                select(Ticket.session_id, Ticket.status).where(Ticket.attendee_id == attendee.id)
            ).all()
        )
        assert statuses == {1: "confirmed", 2: "waitlisted"}
        assert attendee.locale == "de"


def test_the_confirmation_offers_each_session_and_the_programme_for_the_calendar(client, programme):
    token = csrf_token(client, f"/{EVENT}/register?sessions=1,2")
    receipt = client.post(f"/{EVENT}/register?sessions=1,2", data=form(token)).headers["Location"]
    html = client.get(receipt).text
    assert html.count("In den Kalender") >= 3  # one per session, and the heading
    schedule = re.search(r'href="(http://[^"]+)/todo2024/sessions/1\.ics"', html).group(1)
    assert f'href="{schedule}/todo2024/sessions/2.ics"' in html
    assert re.search(r'href="webcal://[^"]+/todo2024/calendar\.ics"', html)
    assert "Das ganze Programm abonnieren" in html
    # Never the personal feed: whoever registered may not own the address.
    assert "/calendar/personal/" not in html and "webcal://" in html
    english = client.get(
        receipt.replace("lang=de", "lang=en") if "lang=" in receipt else receipt + "?lang=en"
    ).text
    assert "Add to calendar" in english and "Subscribe to the whole programme" in english
    assert "/calendar/personal/" not in english


def test_held_seats_ask_to_confirm_the_email(programme, make_app):
    with programme.transaction() as session:
        session.scalar(select(Event)).confirm_email = True
    client = make_app(programme).test_client()
    token = csrf_token(client, f"/{EVENT}/register?sessions=1&lang=en")
    page = client.post(
        f"/{EVENT}/register?sessions=1", data=form(token, sessions=["1"]), follow_redirects=True
    )
    assert page.status_code == 200
    assert "Seat held: please confirm your email address" in page.text
    assert "within 30 minutes" in page.text


def test_field_errors_in_german_next_to_their_field_and_nothing_lost(client, programme):
    token = csrf_token(client, f"/{EVENT}/register?sessions=1,2")
    page = client.post(
        f"/{EVENT}/register?sessions=1,2",
        data=form(token, name=" ", email="not an address", consent=None, sessions=["2"]),
    )
    assert page.status_code == 422
    html = page.text
    assert error_of(html, "error-name-1") == "Bitte gib deinen Namen an."
    assert (
        error_of(html, "error-consent-1")
        == "Bitte willige ein, sonst können wir dich nicht anmelden."
    )
    assert 'aria-describedby="error-name-1"' in html and 'aria-invalid="true"' in html
    # What was typed and chosen is still there.
    assert 'value="not an address"' in html
    assert re.search(r'value="1"\s*aria-describedby', html)  # session 1 now unticked
    assert re.search(r'value="2" checked', html)
    assert attendees(programme) == 0

    page = client.post(f"/{EVENT}/register?sessions=1,2", data=form(token, email="nope"))
    assert page.status_code == 422
    assert error_of(page.text, "error-email-1") == "Keine gültige E-Mail-Adresse."
    assert 'value="Erika Muster"' in page.text


def test_field_errors_in_english(client, programme):
    token = csrf_token(client, f"/{EVENT}/register?sessions=1&lang=en")
    page = client.post(
        f"/{EVENT}/register?sessions=1&lang=en", data=form(token, email="", sessions=[])
    )
    assert page.status_code == 422
    assert error_of(page.text, "error-email-1") == "Please enter your email address."
    assert error_of(page.text, "error-sessions-1") == "Please choose at least one session."
    page = client.post(f"/{EVENT}/register?sessions=1&lang=en", data=form(token, email="a@b"))
    assert error_of(page.text, "error-email-1").startswith("Not a valid email address")
    assert attendees(programme) == 0


def test_a_session_problem_is_shown_next_to_that_session(client, programme):
    token = csrf_token(client, f"/{EVENT}/register?sessions=2,3")
    page = client.post(f"/{EVENT}/register?sessions=2,3", data=form(token, sessions=["2", "3"]))
    assert page.status_code == 422
    assert error_of(page.text, "error-session-3-1") == "Überschneidet sich zeitlich mit 2."
    assert 'href="#field-session-3"' in page.text  # the summary leads to it
    page = client.post(f"/{EVENT}/register?sessions=4&lang=en", data=form(token, sessions=["4"]))
    assert error_of(page.text, "error-session-4-1") == "This session needs no registration."
    assert attendees(programme) == 0


def test_a_filled_honeypot_is_refused_silently(client, programme):
    token = csrf_token(client, f"/{EVENT}/register?sessions=1")
    page = client.post(
        f"/{EVENT}/register?sessions=1", data=form(token, website="http://spam.example")
    )
    assert page.status_code == 200
    assert "E-Mail-Postfach" in page.text and "Platz bestätigt" not in page.text
    assert attendees(programme) == 0


def test_a_post_without_csrf_token_is_refused(client, programme):
    client.get(f"/{EVENT}/register?sessions=1")
    page = client.post(f"/{EVENT}/register?sessions=1", data=form(None))
    assert page.status_code == 400
    assert "Das Formular ist abgelaufen" in page.text or "expired" in page.text
    assert attendees(programme) == 0


def test_an_unknown_event_is_404(client):
    assert client.get("/nothing/register").status_code == 404


def test_the_form_is_rate_limited_per_email(programme, make_app):
    limited = RegistrationSettings(rate_limit_per_ip="1000/minute", rate_limit_per_email="2/minute")
    client = make_app(programme, limited).test_client()
    token = csrf_token(client, f"/{EVENT}/register?sessions=1")
    answers = [
        client.post(f"/{EVENT}/register?sessions=1", data=form(token, sessions=["1"])).status_code
        for _ in range(3)
    ]
    assert answers == [303, 303, 429]
    refused = client.post(f"/{EVENT}/register?sessions=1", data=form(token, sessions=["1"]))
    assert "Bitte warte eine Minute" in refused.text
    assert 1 <= int(refused.headers["Retry-After"]) <= 60


def test_availability_may_be_read_from_the_programme_page(client):
    response = client.get(f"/api/v1/events/{EVENT}/sessions/1/availability")
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"


# -- manage page ----------------------------------------------------------------------------


@pytest.fixture
def booked(programme, register_one, make_app):
    """a has the one seat of session 2 and a seat of session 1; b waits for session 2."""
    a = register_one(programme, "a@example.org", [1, 2])
    register_one(programme, "b@example.org", [2], locale="en")
    return programme, make_app(programme).test_client(), a.attendee.manage_token


def test_manage_page_shows_tickets_with_qr_codes_and_the_feed(booked):
    db, client, token = booked
    page = client.get(f"/{EVENT}/manage/{token}")
    assert page.status_code == 200
    html = page.text
    code = ticket_of(db, "a@example.org", 1).code
    assert f"<code>{printed(code)}</code>" in html and f"<code>{code}</code>" not in html
    assert len(re.findall(r'<svg [^>]*class="qr"', html)) == 2
    assert "QR-Code deines Tickets für Session 1" in html
    feed = re.search(r'value="(http://[^"]+/todo2024/calendar/personal/[^"]+\.ics)"', html).group(1)
    assert f'href="webcal://{feed.removeprefix("http://")}"' in html
    assert "Link kopieren" in html and "manage.js" in html
    # English on request, and then remembered in the language cookie.
    assert "Your tickets" in client.get(f"/{EVENT}/manage/{token}?lang=en").text


def test_manage_page_in_the_attendees_language(booked):
    db, client, _token = booked
    with db.transaction() as session:
        b = session.scalar(select(Attendee).where(Attendee.email == "b@example.org"))
        token = b.manage_token
    html = client.get(f"/{EVENT}/manage/{token}").text
    assert "Waiting list, position 1" in html
    assert 'class="qr"' not in html  # no seat, no ticket to scan


def test_cancelling_asks_first_then_frees_the_seat_for_the_next_person(booked):
    db, client, token = booked
    ticket = ticket_of(db, "a@example.org", 2)
    confirm = client.get(f"/{EVENT}/manage/{token}/tickets/{ticket.id}/cancel")
    assert confirm.status_code == 200
    assert "Deinen Platz für „Session 2“ stornieren?" in confirm.text
    assert ticket_of(db, "a@example.org", 2).status == "confirmed"
    done = client.post(f"/{EVENT}/manage/{token}/tickets/{ticket.id}/cancel")
    assert done.status_code == 303
    page = client.get(done.headers["Location"])
    assert "Dein Platz für „Session 2“ ist storniert." in page.text
    assert "Platz storniert" in page.text
    assert ticket_of(db, "b@example.org", 2).status == "confirmed"


def test_cancel_all_and_erase_ask_first(booked):
    db, client, token = booked
    assert "Alle deine Plätze stornieren?" in client.get(f"/{EVENT}/manage/{token}/cancel").text
    assert client.post(f"/{EVENT}/manage/{token}/cancel").status_code == 303
    assert {ticket_of(db, "a@example.org", n).status for n in (1, 2)} == {"cancelled"}

    confirm = client.get(f"/{EVENT}/manage/{token}/erase")
    assert "Deine Daten löschen?" in confirm.text
    assert attendees(db) == 2
    erased = client.post(f"/{EVENT}/manage/{token}/erase")
    assert erased.status_code == 200 and "Deine Daten wurden gelöscht" in erased.text
    assert client.get(f"/{EVENT}/manage/{token}").status_code == 404


def test_language_switch_and_data_download(booked):
    _db, client, token = booked
    switched = client.post(f"/{EVENT}/manage/{token}/locale", data={"locale": "en"})
    assert switched.status_code == 303 and switched.headers["Location"].endswith("lang=en")
    data = client.get(f"/{EVENT}/manage/{token}/data.json")
    assert data.headers["Content-Disposition"].startswith("attachment")
    assert data.json["attendee"]["locale"] == "en"


def test_a_wrong_ticket_or_token_is_404(booked):
    db, client, token = booked
    other = ticket_of(db, "b@example.org", 2)
    assert client.get(f"/{EVENT}/manage/{token}/tickets/{other.id}/cancel").status_code == 404
    assert client.post(f"/{EVENT}/manage/{token}/tickets/{other.id}/cancel").status_code == 404
    assert ticket_of(db, "b@example.org", 2).status == "waitlisted"
    assert client.get(f"/{EVENT}/manage/wrong/erase").status_code == 404


# -- organiser pages ------------------------------------------------------------------------


def sign_in(client, name: str = "erika") -> None:
    with client.session_transaction() as cookie:
        cookie.update(organiser_session(Principal(name)))


@pytest.mark.parametrize(
    "path",
    [
        "/organiser/registrations",
        "/organiser/registrations/sessions/1",
        "/organiser/check-in",
        "/organiser/registrations/attendees.csv",
    ],
)
def test_organiser_pages_need_the_login_on_the_schedule_service(client, path):
    response = client.get(f"/{EVENT}{path}")
    assert response.status_code == 303
    location = response.headers["Location"]
    assert location.startswith("http://127.0.0.1:8001/login?next=")
    assert f"{EVENT}{path}".replace("/", "%2F") in location


def test_dashboard_lists_and_export(booked):
    _db, client, _token = booked
    sign_in(client)
    html = client.get(f"/{EVENT}/organiser/registrations").text
    row = re.search(r'<tr id="counts-2">(.*?)</tr>', html, re.S).group(1)
    assert "1 / 1" in row and ">1<span" in row  # one confirmed of one seat, one waiting
    waiting = client.get(f"/{EVENT}/organiser/registrations/sessions/2?list=waitlist").text
    assert "b@example.org" in waiting and "a@example.org" not in waiting
    attendees_ = client.get(f"/{EVENT}/organiser/registrations/sessions/2").text
    assert "a@example.org" in attendees_ and "b@example.org" not in attendees_
    export = client.get(f"/{EVENT}/organiser/registrations/attendees.csv")
    assert export.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "a@example.org" in export.get_data(as_text=True)


def test_email_confirmation_switch(booked):
    db, client, _token = booked
    sign_in(client)
    token = csrf_token(client, f"/{EVENT}/organiser/registrations")
    saved = client.post(
        f"/{EVENT}/organiser/registrations/settings",
        data={"csrf_token": token, "confirm_email": "on"},
    )
    assert saved.status_code == 303
    with db.transaction() as session:
        assert session.scalar(select(Event.confirm_email)) is True
    assert 'value="on" checked' in client.get(saved.headers["Location"]).text
    refused = client.post(
        f"/{EVENT}/organiser/registrations/settings", data={"confirm_email": "off"}
    )
    assert refused.status_code == 400
    with db.transaction() as session:
        assert session.scalar(select(Event.confirm_email)) is True


def test_no_show_release_setting(booked):
    db, client, _token = booked
    sign_in(client)
    token = csrf_token(client, f"/{EVENT}/organiser/registrations")
    settings_url = f"/{EVENT}/organiser/registrations/settings"
    form = {"csrf_token": token, "confirm_email": "default"}

    saved = client.post(settings_url, data={**form, "release_no_shows_after_minutes": "15"})
    assert saved.status_code == 303
    with db.transaction() as session:
        assert session.scalar(select(Event.release_no_shows_after_minutes)) == 15
    assert 'value="15"' in client.get(saved.headers["Location"]).text

    for bad in ("-1", "241", "soon"):
        refused = client.post(settings_url, data={**form, "release_no_shows_after_minutes": bad})
        assert refused.status_code == 303
        page = client.get(refused.headers["Location"]).text
        assert "0 bis 240 Minuten" in page
        with db.transaction() as session:
            assert session.scalar(select(Event.release_no_shows_after_minutes)) == 15

    client.post(settings_url, data={**form, "release_no_shows_after_minutes": ""})
    with db.transaction() as session:
        assert session.scalar(select(Event.release_no_shows_after_minutes)) is None


def test_check_in_answers(booked, publish_release):
    db, client, _token = booked
    # Doors open on the session's day: sessions 1 and 2 are on now.
    now = utcnow()
    publish_release(
        db,
        2,
        [
            session_info(1, starts_at=now - timedelta(minutes=30)),
            session_info(2, capacity=1, starts_at=now - timedelta(minutes=30)),
            session_info(3, starts_at=DAY + timedelta(hours=2, minutes=30)),
            session_info(4, mode="none"),
        ],
    )
    sign_in(client)
    page = client.get(f"/{EVENT}/organiser/check-in?session=1")
    assert page.status_code == 200 and "autofocus" in page.text
    token = CSRF.search(page.text).group(1)
    code = ticket_of(db, "a@example.org", 1).code

    def scan(value: str, door: str = "1"):
        return client.post(
            f"/{EVENT}/organiser/check-in",
            data={"csrf_token": token, "code": value, "session": door},
        )

    checked = scan(f"  {code}\n")
    assert checked.status_code == 200
    assert "Eingecheckt: Erika Muster – Session 1" in checked.text
    again = scan(code)
    assert again.status_code == 409
    assert "Erika Muster ist schon eingecheckt (Session 1)." in again.text
    assert "eingecheckt um" in again.text and "von erika" in again.text
    unknown = scan(new_code())
    assert unknown.status_code == 404 and "Diesen Ticket-Code gibt es nicht." in unknown.text
    mistyped = scan("no-such-code")
    assert mistyped.status_code == 422 and "Tippfehler" in mistyped.text
    other_door = scan(ticket_of(db, "a@example.org", 2).code)
    assert other_door.status_code == 422
    assert "Das Ticket gilt für eine andere Veranstaltung." in other_door.text
    waiting = scan(ticket_of(db, "b@example.org", 2).code, door="2")
    assert waiting.status_code == 422 and "nicht bestätigt" in waiting.text
    empty = scan(" ")
    assert empty.status_code == 422
    assert error_of(empty.text, "error-code-1") == "Bitte einen Ticket-Code eingeben oder scannen."
    assert ticket_of(db, "a@example.org", 2).checked_in_at is None


def test_the_email_confirmation_link_shows_the_confirmed_booking(programme, make_app):
    with programme.transaction() as session:
        session.scalar(select(Event)).confirm_email = True
    app = make_app(programme)
    client = app.test_client()
    token = csrf_token(client, f"/{EVENT}/register?sessions=1")
    client.post(f"/{EVENT}/register?sessions=1", data=form(token, sessions=["1"]))
    assert ticket_of(programme, "erika@example.org", 1).status == "held"
    with programme.transaction() as session:
        attendee_id = session.scalar(select(Attendee.id))
    links = app.extensions["registration_links"]
    url = links.confirm_url(EVENT, attendee_id).removeprefix(links.registration_url)
    page = client.get(url)
    assert page.status_code == 200
    assert "Danke, deine E-Mail-Adresse ist bestätigt." in page.text
    assert "Platz bestätigt" in page.text
    assert ticket_of(programme, "erika@example.org", 1).status == "confirmed"
