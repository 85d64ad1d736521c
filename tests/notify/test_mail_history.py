"""The organisers' mail history (issue 13): what went to whom, its state in words and the mail
server's answer (kept from a real SMTP server), filters, erased recipients, roles, and the
migration that adds the answer."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import select, text

from services.notify.app import create_app
from services.notify.mail_history import mail_history, undelivered_mail_counts
from services.notify.models import ApiToken, EventOwner, OutgoingMail
from services.notify.models.mail import FAILED, RETRYING
from shared.auth import new_token, store_token
from shared.migrate import alembic_config
from shared.organisations import membership, record_owner
from shared.pages.organisers import organiser_session
from shared.permissions import Principal
from shared.service import load_service
from tests.support.notify import EVENT

ORGANISATION = "dortmund"
# The revision before the mail history kept the server's answer.
BEFORE_SMTP_REPLY = "ae289efb3a02"
HTML = {"Accept": "text/html"}


@pytest.fixture
def history(deliver, release_data, session_info, ticket_data, notify_db):
    """Confirmations for attendees 1 (session 1), 2 (session 2, address with umlauts) and 3
    (session 1, then erased), and 1's waiting-list mail for session 2."""
    deliver("schedule.release.published", release_data(1, [session_info(1), session_info(2)]))
    deliver("registration.ticket.confirmed", ticket_data(1, 1, 1))
    deliver(
        "registration.ticket.confirmed",
        ticket_data(2, 2, 2, email="jürgen@müller.example", name="Jürgen Müller"),
    )
    deliver("registration.ticket.confirmed", ticket_data(3, 3, 1))
    deliver("registration.ticket.waitlisted", ticket_data(1, 4, 2, "waitlisted"))
    deliver("registration.attendee.erased", {"event": EVENT, "attendee_id": 3})
    with notify_db.transaction() as session:
        record_owner(session, EventOwner, EVENT, ORGANISATION, datetime.now(UTC))
    return notify_db


def _history(db, **filters) -> dict:
    with db.transaction() as session:
        return mail_history(session, EVENT, **filters)


def test_newest_first_with_session_and_erased_recipients(history):
    found = _history(history)
    assert found["total"] == 5
    rows = [(m["kind"], m["attendee"], m["recipient"], m["erased"]) for m in found["items"]]
    assert rows == [
        # The erasure confirmation is scrubbed once sent; until then it has its address.
        ("attendee_erased", 3, "anna3@example.org", False),
        ("ticket_waitlisted", 1, "anna1@example.org", False),
        ("ticket_confirmed", 3, None, True),
        ("ticket_confirmed", 2, "jürgen@müller.example", False),
        ("ticket_confirmed", 1, "anna1@example.org", False),
    ]
    assert found["items"][1]["session"]["title"] == "Session 2: Arbeit 4.0"
    assert found["items"][2]["state"] == FAILED


def test_filters_by_attendee_state_and_address(history):
    assert [m["kind"] for m in _history(history, attendee=1)["items"]] == [
        "ticket_waitlisted",
        "ticket_confirmed",
    ]
    assert [m["attendee"] for m in _history(history, state=FAILED)["items"]] == [3]
    for search in ("MÜLLER", "Jürgen@", "müller.EXAMPLE"):
        assert [m["attendee"] for m in _history(history, q=search)["items"]] == [2], search
    # LIKE's wildcards are searched as they are.
    assert _history(history, q="%")["total"] == 0
    assert _history(history, q="_")["total"] == 0
    page = _history(history, page=2, page_size=2)
    assert (page["total"], len(page["items"])) == (5, 2)
    with history.transaction() as session:
        assert undelivered_mail_counts(session, EVENT)[FAILED] == 1
        assert undelivered_mail_counts(session, "other-event") == {FAILED: 0, RETRYING: 0}


def test_the_smtp_servers_answer_is_kept_for_delivered_mail(
    history, mail_worker, smtp_server, notify_db
):
    assert mail_worker.deliver_due() == 4
    found = {m["attendee"]: m for m in _history(history, state="sent")["items"]}
    assert found[1]["smtp_reply"] == "250 Message accepted for delivery"
    assert found[1]["last_error"] is None and found[1]["sent_at"] is not None


def test_a_refused_mail_keeps_the_refusal_and_no_answer(history, mail_worker, smtp_server):
    smtp_server.handler.reply = "550 5.1.1 No such user"
    mail_worker.deliver_due()
    for mail in _history(history, attendee=1)["items"]:
        assert (mail["state"], mail["smtp_reply"]) == (FAILED, None)
        assert mail["last_error"].startswith("550 5.1.1")


@pytest.fixture
def app(history, notify_config, notify_settings):
    app = create_app(notify_config, notify_settings)
    yield app
    app.extensions["todo_db"].dispose()


def _bearer(db, role: str, organisation: str = ORGANISATION) -> dict:
    token = new_token()
    with db.transaction() as session:
        store_token(
            session,
            ApiToken,
            f"{role}-{organisation}",
            token,
            member=membership(organisation, role),
        )
    return {"Authorization": f"Bearer {token}", "Accept-Language": "en"}


def _browser(app, role: str, organisation: str = ORGANISATION):
    client = app.test_client()
    with client.session_transaction() as cookie:
        cookie.update(organiser_session(Principal(f"{role}-web", organisation, role)))
    return client


def test_the_page_shows_kind_state_and_answer_in_words(app):
    page = _browser(app, "registrations").get(f"/{EVENT}/organiser/mails?lang=de", headers=HTML)
    assert page.status_code == 200, page.text
    body = page.text
    for words in ("Buchungsbestätigung", "Warteliste", "wartet", "fehlgeschlagen", "gelöscht"):
        assert words in body, words
    assert "jürgen@müller.example" in body
    english = _browser(app, "registrations").get(f"/{EVENT}/organiser/mails?lang=en", headers=HTML)
    assert "Booking confirmation" in english.text and "erased" in english.text
    one = _browser(app, "owner").get(
        f"/{EVENT}/organiser/mails?attendee=2&q=m%C3%BCller", headers=HTML
    )
    assert one.status_code == 200
    assert len(re.findall(r'<tr id="mail-\d+"', one.text)) == 1


def test_the_overview_learns_of_undelivered_mail_from_a_fragment_for_the_schedule_origin(app):
    answer = _browser(app, "registrations").get(
        f"/{EVENT}/organiser/attention?lang=de", headers=HTML
    )
    assert answer.status_code == 200, answer.text
    assert "1 E-Mail konnte nicht zugestellt werden." in answer.text
    assert f"/{EVENT}/organiser/mails?state=failed" in answer.text
    schedule = app.extensions["todo_config"].service_urls["schedule"]
    assert answer.headers["Access-Control-Allow-Origin"] == schedule
    assert answer.headers["Access-Control-Allow-Credentials"] == "true"
    assert answer.headers["Cache-Control"] == "no-store"
    assert _browser(app, "door").get(f"/{EVENT}/organiser/attention").status_code == 403


@pytest.mark.parametrize(
    "query", ["state=lost", "attendee=0", "attendee=99999999999", "page=-1", "q=" + "x" * 400]
)
def test_odd_filters_answer_422_next_to_the_field(app, query):
    page = _browser(app, "owner").get(f"/{EVENT}/organiser/mails?{query}", headers=HTML)
    assert page.status_code == 422, page.text
    assert 'class="error-summary"' in page.text
    api = app.test_client().get(
        f"/api/v1/events/{EVENT}/mails?{query}", headers=_bearer(app.extensions["todo_db"], "owner")
    )
    assert api.status_code == 422
    assert query.split("=")[0] in api.json["errors"]


def test_the_api_answers_the_same_history(app, history):
    answer = app.test_client().get(
        f"/api/v1/events/{EVENT}/mails?state=failed&page_size=10",
        headers=_bearer(history, "registrations"),
    )
    assert answer.status_code == 200, answer.json
    (mail,) = answer.json["items"]
    assert (mail["attendee"], mail["recipient"], mail["erased"]) == (3, None, True)
    assert (answer.json["total"], answer.json["page_size"]) == (1, 10)


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
def test_who_may_read_the_mail_history(app, history, role, organisation, status):
    api = app.test_client().get(
        f"/api/v1/events/{EVENT}/mails", headers=_bearer(history, role, organisation)
    )
    assert api.status_code == status
    page = _browser(app, role, organisation).get(f"/{EVENT}/organiser/mails", headers=HTML)
    assert page.status_code == status
    if status != 200:
        assert "jürgen" not in page.text and "jürgen" not in api.get_data(as_text=True)


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
def test_the_migration_keeps_the_mail_and_adds_the_answer(make_database, backend):
    db = make_database("notify", backend)
    config = alembic_config(load_service("notify"), db)
    command.downgrade(config, BEFORE_SMTP_REPLY)
    with db.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO outgoing_mail (id, dedup_key, kind, event_slug, attendee_id, "
                "recipient, scrub_after_send, state, attempts, next_attempt_at, created_at, "
                "sent_at) VALUES (1, 'k', 'ticket_confirmed', 'todo2024', 7, 'a@example.org', "
                ":no, 'sent', 1, '2030-01-01 00:00:00+00:00', '2030-01-01 00:00:00+00:00', "
                "'2030-01-01 00:00:01+00:00')"
            ),
            {"no": False},
        )
    command.upgrade(config, "head")
    with db.transaction() as session:
        mail = session.scalars(select(OutgoingMail)).one()
        assert (mail.state, mail.smtp_reply, mail.attendee_message_id) == ("sent", None, None)
        found = mail_history(session, "todo2024")
    assert [m["recipient"] for m in found["items"]] == ["a@example.org"]
