"""The organisation's page for owners (issue 12): members and their roles, API tokens created
and revoked in the browser, and those tokens reaching registration by message."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from services.schedule.models import OrganiserAccount, OutboxMessage
from services.schedule.organisations import create_organisation, set_owner
from services.schedule.organisers import set_password
from shared.consumer import handle_once
from shared.db import utcnow
from shared.messages import parse_envelope
from shared.organisations import membership
from shared.pages.organisers import check_organiser_password, organiser_session
from shared.service import load_service
from tests.support.backbone import message_routes

PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
TOKEN = re.compile(r'<code class="token">(todo_[A-Za-z0-9_-]+)</code>')


@pytest.fixture
def bochum(schedule_db, document, import_document):
    """`bochum` owns the test programme's event, `herne` owns `hewo`; erika owns bochum, paul
    runs its programme, hans owns herne."""
    with schedule_db.transaction() as session:
        create_organisation(session, "bochum", "Bochum – Arbeit der Zukunft")
        create_organisation(session, "herne", "Herne arbeitet")
        set_owner(session, import_document(session, document).event, "bochum")
        set_owner(session, import_document(session, document, "hewo").event, "herne")
        for name, organisation, role in (
            ("erika", "bochum", "owner"),
            ("paul", "bochum", "programme"),
            ("hans", "herne", "owner"),
        ):
            set_password(session, name, PASSWORD, membership(organisation, role))
    return document["event"]["slug"]


def sign_in(client, schedule_db, name: str):
    with schedule_db.transaction() as session:
        principal = session.get(OrganiserAccount, name).principal()
    with client.session_transaction() as cookie:
        cookie.update(organiser_session(principal))
    return client


def post(client, path: str, data: dict):
    page = client.get("/organisations/bochum/")
    return client.post(path, data=data | {"csrf_token": CSRF.search(page.text)[1]})


def test_an_owner_sees_members_and_tokens_others_are_refused(client, schedule_db, bochum):
    page = sign_in(client, schedule_db, "erika").get("/organisations/bochum/")
    assert page.status_code == 200
    assert "erika" in page.text and "paul" in page.text and "hans" not in page.text
    html = {"Accept": "text/html"}
    assert (
        sign_in(client, schedule_db, "paul").get("/organisations/bochum/", headers=html).status_code
        == 403
    )
    # Another organisation's page is as if it did not exist.
    hans = sign_in(client, schedule_db, "hans")
    assert hans.get("/organisations/bochum/", headers=html).status_code == 404
    assert hans.get("/organisations/nowhere/", headers=html).status_code == 404


def test_changing_a_role_ends_the_members_sessions_and_keeps_an_owner(client, schedule_db, bochum):
    sign_in(client, schedule_db, "erika")
    changed = post(
        client,
        "/organisations/bochum/members/change",
        {"name": "paul", "role": "door", "events": [bochum]},
    )
    assert changed.status_code == 303
    with schedule_db.transaction() as session:
        paul = session.get(OrganiserAccount, "paul")
        assert (paul.role, paul.events) == ("door", [bochum])
        revoked = session.scalars(
            select(OutboxMessage.body).where(
                OutboxMessage.routing_key == "schedule.organiser.sessions_revoked"
            )
        ).all()
    assert any('"membership_changed"' in body for body in revoked)
    # The last owner cannot demote or remove herself.
    demoted = post(
        client, "/organisations/bochum/members/change", {"name": "erika", "role": "viewer"}
    )
    assert demoted.status_code == 422 and "braucht eine Leitung" in demoted.text
    # hewo is herne's: not an event a bochum member can be limited to.
    foreign = post(
        client,
        "/organisations/bochum/members/change",
        {"name": "paul", "role": "door", "events": ["hewo"]},
    )
    assert foreign.status_code == 422
    # A member of another organisation is no member here.
    hans = post(client, "/organisations/bochum/members/change", {"name": "hans", "role": "door"})
    assert hans.status_code == 422
    removed = post(client, "/organisations/bochum/members/remove", {"name": "paul"})
    assert removed.status_code == 303
    with schedule_db.transaction() as session:
        assert session.get(OrganiserAccount, "paul") is None
        assert session.get(OrganiserAccount, "hans") is not None


def deliver(schedule_db, db, service: str, config) -> None:
    """Hand the schedule outbox's messages to `service`'s handlers, as relay and consumer do."""
    spec = load_service(service)
    routes = message_routes(service, config)
    with schedule_db.transaction() as session:
        bodies = session.scalars(select(OutboxMessage.body).order_by(OutboxMessage.id)).all()
    for body in bodies:
        envelope = parse_envelope(body.encode())
        for queue, handler in routes.get(envelope.type, []):
            handle_once(db, spec.processed, queue, envelope, handler)


def test_a_token_made_in_the_browser_works_in_registration_until_revoked(
    client, schedule_db, bochum, make_database, make_config
):
    registration_db = make_database("registration")
    config = make_config(schedule_db=schedule_db, registration_db=registration_db)
    registration = load_service("registration").create_app(config).test_client()
    sign_in(client, schedule_db, "erika")
    created = post(
        client,
        "/organisations/bochum/tokens",
        {"name": "Zählwerk", "role": "viewer", "expires_in_days": "30"},
    )
    assert created.status_code == 200
    token = TOKEN.search(created.text)[1]
    assert token not in client.get("/organisations/bochum/").text
    deliver(schedule_db, registration_db, "registration", config)
    headers = {"Authorization": f"Bearer {token}"}
    # The event is not published, so registration does not know it; but it is bochum's:
    # the token passes the membership check and meets the event's own 404.
    counts = registration.get(f"/api/v1/events/{bochum}/counts", headers=headers)
    assert counts.status_code == 404 and counts.json["errors"] == {"event": ["unbekannt"]}
    # A viewer lists no attendees (403), and herne's event is hidden (404).
    csv = registration.get(f"/api/v1/events/{bochum}/attendees.csv", headers=headers)
    assert csv.status_code == 403
    assert registration.get("/api/v1/events/hewo/counts", headers=headers).status_code == 404

    page = client.get("/organisations/bochum/")
    assert "Zählwerk" in page.text
    revoke = re.search(r'action="(/organisations/bochum/tokens/[0-9a-f]{16}/revoke)"', page.text)[1]
    assert post(client, revoke, {}).status_code == 303
    deliver(schedule_db, registration_db, "registration", config)
    refused = registration.get(f"/api/v1/events/{bochum}/counts", headers=headers)
    assert refused.status_code == 401 and "widerrufen" in refused.json["message"]
    # Another organisation cannot revoke bochum's tokens, nor tell that they exist.
    sign_in(client, schedule_db, "hans")
    assert client.post(revoke, headers={"Accept": "text/html"}).status_code in (400, 404)


def password_links(schedule_db) -> list[dict]:
    with schedule_db.transaction() as session:
        bodies = session.scalars(
            select(OutboxMessage.body)
            .where(OutboxMessage.routing_key == "schedule.organiser.password_link")
            .order_by(OutboxMessage.id)
        ).all()
    return [parse_envelope(body.encode()).data for body in bodies]


def test_an_invited_member_sets_the_password_with_the_mailed_link_once(client, schedule_db, bochum):
    sign_in(client, schedule_db, "erika")
    invited = post(
        client,
        "/organisations/bochum/members",
        {
            "name": "Jürgen",
            "email": "Jürgen@Müller.example",
            "role": "door",
            "events": [bochum],
            "locale": "en",
        },
    )
    assert invited.status_code == 303
    (link,) = password_links(schedule_db)
    assert link["email"] == "jürgen@müller.example" and link["locale"] == "en"
    assert (link["organisation_name"], link["role"], link["invited"]) == (
        "Bochum – Arbeit der Zukunft",
        "door",
        True,
    )
    assert link["invited_by"] == "erika"
    path = "/password/" + link["set_password_url"].rsplit("/password/", 1)[1]
    with schedule_db.transaction() as session:
        account = session.get(OrganiserAccount, "Jürgen")
        assert (account.organisation, account.role, account.events) == ("bochum", "door", [bochum])
        # Nobody can log in before the password is set.
        assert check_organiser_password(session, OrganiserAccount, "Jürgen", "") is None

    visitor = client.application.test_client()
    form = visitor.get(path)
    assert form.status_code == 200 and "Jürgen" in form.text
    assert form.headers["Cache-Control"].startswith("no-store")
    token = CSRF.search(form.text)[1]
    differ = visitor.post(
        path, data={"password": "x" * 12, "repeat": "y" * 12, "csrf_token": token}
    )
    assert differ.status_code == 422 and "verschieden" in differ.text
    short = visitor.post(path, data={"password": "kurz", "repeat": "kurz", "csrf_token": token})
    assert short.status_code == 422 and "mindestens 10 Zeichen" in short.text
    done = visitor.post(path, data={"password": PASSWORD, "repeat": PASSWORD, "csrf_token": token})
    assert done.status_code == 303 and done.headers["Location"].endswith("/login")
    with schedule_db.transaction() as session:
        assert check_organiser_password(session, OrganiserAccount, "Jürgen", PASSWORD)
    # The link works once.
    again = visitor.get(path, headers={"Accept": "text/html"})
    assert again.status_code == 404 and "gilt nicht (mehr)" in again.text


def test_invitations_are_checked_and_a_new_link_replaces_the_old_one(client, schedule_db, bochum):
    sign_in(client, schedule_db, "erika")
    for data, field in (
        ({"name": "paul", "email": "paul@example.org", "role": "door"}, "name"),
        ({"name": "neu", "email": "kein at", "role": "door"}, "email"),
        ({"name": "neu", "email": "neu@example.org", "role": "chef"}, "role"),
        ({"name": "", "email": "neu@example.org", "role": "door"}, "name"),
    ):
        refused = post(client, "/organisations/bochum/members", data)
        assert refused.status_code == 422, data
        assert f'id="error-invite-{field}-1"' in refused.text, data
    assert password_links(schedule_db) == []

    post(
        client,
        "/organisations/bochum/members",
        {"name": "neu", "email": "neu@example.org", "role": "viewer"},
    )
    resent = post(client, "/organisations/bochum/members/link", {"name": "neu"})
    assert resent.status_code == 303
    first, second = password_links(schedule_db)
    assert second["invited"] is False and second["role"] == "viewer"
    old = "/password/" + first["set_password_url"].rsplit("/password/", 1)[1]
    new = "/password/" + second["set_password_url"].rsplit("/password/", 1)[1]
    assert client.get(old, headers={"Accept": "text/html"}).status_code == 404
    assert client.get(new).status_code == 200
    # herne's owner can neither invite into bochum nor mail bochum's members.
    sign_in(client, schedule_db, "hans")
    page = client.get("/privacy")
    token = CSRF.search(page.text)[1]
    for path in ("/organisations/bochum/members", "/organisations/bochum/members/link"):
        answer = client.post(
            path,
            data={"name": "neu", "email": "x@example.org", "role": "owner", "csrf_token": token},
            headers={"Accept": "text/html"},
        )
        assert answer.status_code == 404, path
    assert len(password_links(schedule_db)) == 2


def test_an_expired_link_does_not_work(client, schedule_db, bochum):
    sign_in(client, schedule_db, "erika")
    post(
        client,
        "/organisations/bochum/members",
        {"name": "neu", "email": "neu@example.org", "role": "viewer"},
    )
    (link,) = password_links(schedule_db)
    with schedule_db.transaction() as session:
        session.get(OrganiserAccount, "neu").password_link_expires_at = utcnow()
    path = "/password/" + link["set_password_url"].rsplit("/password/", 1)[1]
    assert client.get(path, headers={"Accept": "text/html"}).status_code == 404
    assert client.get("/password/" + "x" * 43, headers={"Accept": "text/html"}).status_code == 404
