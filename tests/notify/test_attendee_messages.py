"""Organisers write to attendees (issue 13): exactly the right recipients, German or English,
one mail per person however often the send is posted, hostile input refused naming the field,
and only the roles that may write to attendees."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from services.notify.app import create_app
from services.notify.attendee_messages import (
    create_draft,
    preview_message,
    recipients,
    send_message,
)
from services.notify.mail_history import find_event
from services.notify.mails import Mailer
from services.notify.models import ApiToken, AttendeeMessage, EventOwner, OutgoingMail
from shared.auth import new_token, store_token
from shared.organisations import membership, record_owner
from shared.pages.organisers import organiser_session
from shared.permissions import Principal
from tests.support.notify import EVENT, parse_mail

ORGANISATION = "dortmund"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
MESSAGE = {"subject_de": "Bitte Ausweis mitbringen", "text_de": "Hallo!\n\nAm Eingang."}
ENGLISH = {"subject_en": "Please bring your ID", "text_en": "Hello!\n\nAt the door."}


@pytest.fixture
def attendees(deliver, release_data, session_info, ticket_data, notify_db):
    """Sessions 1 and 2. Attendee 1 (de) confirmed for 1; 2 (en) confirmed for 1 and 2;
    3 held for 1; 4 waiting for 1; 5 cancelled for 1; 6 checked in at 2; 7 confirmed for 1
    and then erased; 8 (en) waiting for 2."""
    deliver("schedule.release.published", release_data(1, [session_info(1), session_info(2)]))
    tickets = [
        (1, 1, 1, "confirmed", {}),
        (2, 2, 1, "confirmed", {"locale": "en"}),
        (2, 3, 2, "confirmed", {"locale": "en"}),
        (3, 4, 1, "held", {}),
        (4, 5, 1, "waitlisted", {}),
        (5, 6, 1, "cancelled", {}),
        (6, 7, 2, "confirmed", {}),
        (7, 8, 1, "confirmed", {}),
        (8, 9, 2, "waitlisted", {"locale": "en"}),
    ]
    for attendee, ticket, session_id, status, extra in tickets:
        data = ticket_data(attendee, ticket, session_id, status, **extra)
        if status == "cancelled":
            deliver("registration.ticket.cancelled", {**data, "reason": "attendee"})
        else:
            deliver(f"registration.ticket.{status}", data)
    deliver(
        "registration.ticket.checked_in",
        {**ticket_data(6, 7, 2, "confirmed"), "checked_in_at": "2024-04-29T16:05:00+00:00"},
    )
    deliver("registration.attendee.erased", {"event": EVENT, "attendee_id": 7})
    with notify_db.transaction() as session:
        record_owner(session, EventOwner, EVENT, ORGANISATION, datetime.now(UTC))
        session.execute(OutgoingMail.__table__.delete())
    return notify_db


@pytest.fixture
def app(attendees, notify_config, notify_settings):
    app = create_app(notify_config, notify_settings)
    yield app
    app.extensions["todo_db"].dispose()


@pytest.fixture
def bearer(attendees):
    """bearer(role, organisation=ORGANISATION) -> headers with a new token of that member."""

    def make(role: str, organisation: str = ORGANISATION) -> dict:
        token = new_token()
        with attendees.transaction() as session:
            store_token(
                session,
                ApiToken,
                f"{role}-{organisation}",
                token,
                member=membership(organisation, role),
            )
        return {"Authorization": f"Bearer {token}", "Accept-Language": "en"}

    return make


@pytest.fixture
def browser(app):
    """browser(role) -> a test client signed in as a member of ORGANISATION, and its CSRF."""

    def make(role: str = "registrations", organisation: str = ORGANISATION):
        client = app.test_client()
        with client.session_transaction() as cookie:
            cookie.update(organiser_session(Principal(f"{role}-web", organisation, role)))
        page = client.get("/privacy", headers={"Accept": "text/html"})
        return client, CSRF.search(page.text)[1]

    return make


def _recipients(db, **choice) -> dict[int, str]:
    with db.transaction() as session:
        event = find_event(session, EVENT)
        found = recipients(
            session,
            event,
            session_id=choice.get("session"),
            include_waiting=choice.get("include_waiting", False),
            english=choice.get("english", False),
        )
        return {r.attendee.id: r.locale for r in found}


def test_recipients_are_the_seat_holders_once_each(attendees):
    # Cancelled (5), erased (7) and waiting (4, 8) are out; 2 has two tickets, one mail.
    assert _recipients(attendees) == {1: "de", 2: "de", 3: "de", 6: "de"}
    assert _recipients(attendees, include_waiting=True) == {
        1: "de",
        2: "de",
        3: "de",
        4: "de",
        6: "de",
        8: "de",
    }
    assert _recipients(attendees, session=1) == {1: "de", 2: "de", 3: "de"}
    assert _recipients(attendees, session=2, include_waiting=True) == {2: "de", 6: "de", 8: "de"}
    # English readers get English only if there is an English text.
    assert _recipients(attendees, session=2, include_waiting=True, english=True) == {
        2: "en",
        6: "de",
        8: "en",
    }


def test_api_preview_counts_without_sending_then_the_draft_is_sent_once(app, bearer, attendees):
    client, headers = app.test_client(), bearer("registrations")
    url = f"/api/v1/events/{EVENT}/messages"
    preview = client.post(
        url, json={**MESSAGE, **ENGLISH, "preview": True, "session": 2}, headers=headers
    )
    assert preview.status_code == 200, preview.json
    assert preview.json["recipients"] == {"de": 1, "en": 1, "total": 2}
    assert preview.json["sent"] is False
    with attendees.transaction() as session:
        assert session.scalars(select(OutgoingMail)).all() == []

    draft = preview.json["draft"]
    first = client.post(url, json={"draft": draft}, headers=headers)
    assert first.status_code == 201, first.json
    assert first.json["message"]["recipient_count"] == 2
    again = client.post(url, json={"draft": draft}, headers=headers)
    assert (again.status_code, again.json["sent"]) == (200, False)
    with attendees.transaction() as session:
        mails = session.scalars(select(OutgoingMail).order_by(OutgoingMail.attendee_id)).all()
        assert [(m.attendee_id, m.kind, m.content["locale"]) for m in mails] == [
            (2, "organiser_message", "en"),
            (6, "organiser_message", "de"),
        ]
        assert {m.session_id for m in mails} == {2}
        assert (
            mails[0].dedup_key
            == f"message:{first.json['message']['id']}|attendee-2|organiser_message"
        )

    listed = client.get(url, headers=headers)
    assert listed.status_code == 200
    (message,) = listed.json
    assert message["mails"] == {"queued": 2, "delivered": 0, "failed": 0}
    assert (message["session"], message["recipient_count"]) == (2, 2)


def test_the_mails_greet_by_ticket_name_and_fall_back_to_german(
    app, bearer, attendees, notify_config
):
    client = app.test_client()
    answer = client.post(
        f"/api/v1/events/{EVENT}/messages",
        json={"subject_de": "Raum\u00e4nderung", "text_de": "Zeile 1\nZeile 2\n\n<b>fett</b>"},
        headers=bearer("owner"),
    )
    assert answer.status_code == 201, answer.json
    mailer = Mailer(notify_config)
    with attendees.transaction() as session:
        mails = {
            m.attendee_id: parse_mail(mailer.message_bytes(m))
            for m in session.scalars(select(OutgoingMail))
        }
    assert sorted(mails) == [1, 2, 3, 6]
    # Attendee 2 reads English, but there is no English text: the German mail.
    mail = mails[2]
    assert mail["Subject"] == "Raumänderung"
    text = mail.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert text.startswith("Hallo Anna Muster 2,")
    assert "Zeile 1\nZeile 2\n\n<b>fett</b>" in text
    assert "https://todo.example/manage/secret-2" in text
    html = mail.get_body(("html",)).get_content()
    assert "Zeile 1<br>Zeile 2</p>" in html
    assert "&lt;b&gt;fett&lt;/b&gt;" in html and "<b>fett" not in html


def test_english_readers_get_the_english_text(app, bearer, attendees, notify_config):
    answer = app.test_client().post(
        f"/api/v1/events/{EVENT}/messages",
        json={**MESSAGE, **ENGLISH, "session": 1},
        headers=bearer("owner"),
    )
    assert answer.status_code == 201, answer.json
    mailer = Mailer(notify_config)
    with attendees.transaction() as session:
        mails = {
            m.attendee_id: parse_mail(mailer.message_bytes(m))
            for m in session.scalars(select(OutgoingMail))
        }
    assert mails[2]["Subject"] == "Please bring your ID"
    assert mails[2].get_body(("plain",)).get_content().startswith("Hello Anna Muster 2,")
    assert mails[1]["Subject"] == "Bitte Ausweis mitbringen"


def test_a_double_send_in_one_transaction_or_a_retry_queues_once(attendees, notify_config):
    mailer = Mailer(notify_config)
    with attendees.transaction() as session:
        draft = create_draft(session, EVENT, MESSAGE, "erika")
        token = draft.token
    with attendees.transaction() as session:
        message, sent = send_message(session, mailer, EVENT, token)
        assert (sent, message.recipient_count) == (True, 4)
        assert send_message(session, mailer, EVENT, token)[1] is False
    with attendees.transaction() as session:
        assert send_message(session, mailer, EVENT, token)[1] is False
        assert len(session.scalars(select(OutgoingMail)).all()) == 4
        assert session.scalar(select(AttendeeMessage.sent_at)) is not None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**MESSAGE, "subject_de": "Hallo\r\nBcc: alle@example.org"}, "subject_de"),
        ({**MESSAGE, "subject_de": "Hallo\nBcc"}, "subject_de"),
        ({**MESSAGE, "subject_de": "x" * 151}, "subject_de"),
        ({**MESSAGE, "text_de": "x" * 20_000}, "text_de"),
        ({**MESSAGE, "text_de": "kaputt \ud800"}, "text_de"),
        ({**MESSAGE, "text_de": "NUL \x00"}, "text_de"),
        ({"subject_de": "", "text_de": "x"}, "subject_de"),
        ({"subject_de": "Betreff"}, "text_de"),
        ({**MESSAGE, "text_en": "only the text"}, "subject_en"),
        ({**MESSAGE, "subject_en": "Tab\there"}, "subject_en"),
        ({**MESSAGE, "session": 99}, "session"),
        ({**MESSAGE, "session": 2**40}, "session"),
        ({**MESSAGE, "session": "eins"}, "session"),
        ({"draft": "nope"}, "draft"),
        ({"draft": "x" * 500}, "draft"),
        ({"draft": "\ud800"}, "draft"),
    ],
)
def test_hostile_input_is_refused_naming_the_field(app, bearer, attendees, body, field):
    answer = app.test_client().post(
        f"/api/v1/events/{EVENT}/messages", json=body, headers=bearer("owner")
    )
    assert answer.status_code == 422, answer.json
    assert field in answer.json["errors"], answer.json
    with attendees.transaction() as session:
        assert session.scalars(select(OutgoingMail)).all() == []


@pytest.mark.parametrize(
    ("role", "organisation", "status"),
    [
        ("owner", ORGANISATION, 200),
        ("registrations", ORGANISATION, 200),
        ("door", ORGANISATION, 403),
        ("viewer", ORGANISATION, 403),
        ("programme", ORGANISATION, 403),
        ("owner", "bochum", 404),
    ],
)
def test_who_may_write_to_attendees(app, bearer, browser, role, organisation, status):
    headers = bearer(role, organisation)
    url = f"/api/v1/events/{EVENT}/messages"
    assert app.test_client().get(url, headers=headers).status_code == status
    posted = app.test_client().post(url, json={**MESSAGE, "preview": True}, headers=headers)
    assert posted.status_code == status
    client, csrf = browser(role, organisation)
    page = client.get(f"/{EVENT}/organiser/messages", headers={"Accept": "text/html"})
    assert page.status_code == status
    sent = client.post(
        f"/{EVENT}/organiser/messages/send",
        data={"csrf_token": csrf, "draft": "x"},
        headers={"Accept": "text/html"},
    )
    assert sent.status_code == (422 if status == 200 else status)


def test_the_page_previews_each_language_and_a_double_click_sends_once(browser, attendees):
    client, csrf = browser()
    html = {"Accept": "text/html"}
    form = {
        "csrf_token": csrf,
        "session": "",
        "include_waiting": "yes",
        **MESSAGE,
        **ENGLISH,
    }
    preview = client.post(f"/{EVENT}/organiser/messages?lang=de", data=form, headers=html)
    assert preview.status_code == 200, preview.text
    text = preview.text
    # 1, 2, 3, 4, 6 and 8; 2 and 8 read English.
    assert "6 Personen bekommen diese Nachricht" in text, text
    assert "4 auf Deutsch" in text and "2 auf Englisch" in text
    assert "Hallo Erika Mustermann," in text and "Hello Erika Mustermann," in text
    assert "An 6 Personen senden" in text
    token = re.search(r'name="draft" value="([^"]+)"', text)[1]

    send = {"csrf_token": csrf, "draft": token}
    first = client.post(f"/{EVENT}/organiser/messages/send", data=send, headers=html)
    second = client.post(f"/{EVENT}/organiser/messages/send", data=send, headers=html)
    assert (first.status_code, second.status_code) == (303, 303)
    with attendees.transaction() as session:
        assert len(session.scalars(select(OutgoingMail)).all()) == 6
    listed = client.get(f"/{EVENT}/organiser/messages?lang=de", headers=html)
    assert "Bitte Ausweis mitbringen" in listed.text
    assert "schon verschickt" in listed.text


def test_the_form_shows_each_problem_next_to_its_field(browser, attendees):
    client, csrf = browser()
    answer = client.post(
        f"/{EVENT}/organiser/messages?lang=de",
        data={
            "csrf_token": csrf,
            "subject_de": "a\r\nb",
            "text_de": "",
            "text_en": "x" * 10_001,
            "session": "eins",
        },
        headers={"Accept": "text/html"},
    )
    assert answer.status_code == 422, answer.text
    for field in ("subject_de", "text_de", "text_en", "session"):
        assert f'id="error-{field}-1"' in answer.text, field
    assert "ohne Zeilenumbruch" in answer.text
    with attendees.transaction() as session:
        assert session.scalars(select(AttendeeMessage)).all() == []


def test_preview_renders_with_the_real_templates(attendees, notify_config):
    with attendees.transaction() as session:
        preview = preview_message(
            session, Mailer(notify_config), EVENT, {**MESSAGE, "session": 1}, "erika"
        )
    assert set(preview["previews"]) == {"de"}
    assert preview["recipients"] == {"de": 3, "en": 0, "total": 3}
    german = preview["previews"]["de"]
    assert german["subject"] == "Bitte Ausweis mitbringen"
    assert "Session 1: Arbeit 4.0" in german["text"]
