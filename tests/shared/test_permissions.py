"""The permission table (issue 12): every route of every service declares a permission or that
it is public, the OpenAPI document says the same, the roles hold exactly their part, and the
organiser decorators ask `allowed` about the URL's event before the view runs."""

from __future__ import annotations

import re
from datetime import date

import pytest
from werkzeug.exceptions import Forbidden

from services.schedule.draft import create_event
from services.schedule.models import ApiToken, OrganiserAccount
from shared import permissions
from shared.auth import new_token, organiser_required, store_token
from shared.errors import NoSuchEvent
from shared.pages.organisers import (
    organiser_login_required,
    organiser_session,
    set_organiser_password,
)
from shared.permissions import (
    ABOUT_NO_EVENT,
    PERMISSION_EXTENSION,
    PERMISSIONS,
    PUBLIC,
    ROLE_PERMISSIONS,
    WHOLE_ORGANISATION,
    Principal,
    allowed,
    public,
    require,
    route_permissions,
)
from shared.service import load_service

SERVICES = ("schedule", "registration", "notify")
# What shows an attendee's personal data: lists and exports, and one name at check-in.
PERSONAL_DATA = {"attendees.read", "attendees.manage", "attendees.message", "checkin"}
# Routes whose permission is fixed by the issue's roles (guards against declaring them public).
KNOWN = {
    "schedule": {
        ("draft.Events", "POST"): "events.create",
        ("draft.SessionView", "PATCH"): "programme.edit",
        ("programme.Releases", "POST"): "programme.publish",
        ("schedule_pages.publish", "POST"): "programme.publish",
        ("live_control.StageDelays", "POST"): "live.control",
        ("schedule_pages.delay_stage", "POST"): "live.control",
    },
    "registration": {
        ("organiser.AttendeesCsv", "GET"): "attendees.read",
        ("registration_pages.organiser_export", "GET"): "attendees.read",
        ("organiser.SessionTickets", "GET"): "attendees.read",
        ("organiser.Counts", "GET"): "statistics.read",
        ("organiser.CheckIns", "POST"): "checkin",
        ("registration_pages.organiser_check_in_submit", "POST"): "checkin",
        ("organiser.EventSettings", "PUT"): "registration.settings",
    },
    "notify": {("feeds.personal_feed", "GET"): PUBLIC},
}
PASSWORD = "correct horse battery"
# A Flask rule's variable (`<int:session_id>`) as the OpenAPI path writes it (`{session_id}`).
VARIABLE = re.compile(r"<(?:\w+:)?(\w+)>")
HTTP_METHODS = {"get", "put", "post", "patch", "delete"}


@pytest.fixture
def service_apps(make_config):
    apps = {name: load_service(name).create_app(make_config()) for name in SERVICES}
    yield apps
    for app in apps.values():
        app.extensions["todo_db"].dispose()


def test_every_route_of_every_service_declares_a_permission_or_public(service_apps):
    for service, app in service_apps.items():
        declared = route_permissions(app)
        undeclared = sorted(
            f"{endpoint} {method}" for (endpoint, method), p in declared.items() if p is None
        )
        assert undeclared == [], f"{service}: routes without @public or a permission"
        assert {p for p in declared.values()} <= PERMISSIONS | {PUBLIC}
        assert {key: declared.get(key) for key in KNOWN[service]} == KNOWN[service]


def test_organiser_pages_need_a_permission_and_name_their_event(service_apps):
    for app in service_apps.values():
        declared = route_permissions(app)
        for rule in app.url_map.iter_rules():
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                permission = declared[(rule.endpoint, method)]
                if "/organiser" in rule.rule:
                    assert permission != PUBLIC, (rule.rule, method)
                if permission != PUBLIC and permission not in ABOUT_NO_EVENT:
                    # `allowed` gets the URL's event: a permission about one event needs it.
                    assert "event" in rule.arguments, (rule.rule, method)
                if permission in WHOLE_ORGANISATION - {"events.create"}:
                    assert "organisation" in rule.arguments, (rule.rule, method)


def test_the_openapi_document_shows_each_operations_declaration(service_apps):
    for app in service_apps.values():
        declared = route_permissions(app)
        by_operation = {
            (VARIABLE.sub(r"{\1}", rule.rule), method.lower()): declared[(rule.endpoint, method)]
            for rule in app.url_map.iter_rules()
            for method in rule.methods - {"HEAD", "OPTIONS"}
        }
        document = app.test_client().get("/api/v1/openapi.json").get_json()
        for path, operations in document["paths"].items():
            for method, operation in operations.items():
                if method not in HTTP_METHODS:
                    continue
                wanted = by_operation[(path, method)]
                assert operation.get(PERMISSION_EXTENSION, PUBLIC) == wanted, (method, path)
                assert bool(operation.get("security")) == (wanted != PUBLIC), (method, path)


def test_every_permission_is_needed_by_some_route(service_apps):
    needed = {p for app in service_apps.values() for p in route_permissions(app).values()}
    assert needed - {PUBLIC} == PERMISSIONS


# -- the roles -----------------------------------------------------------------------------------


def test_the_roles_hold_exactly_their_part_of_the_issue():
    assert {
        "owner": PERMISSIONS,
        "programme": {"events.list", "programme.edit", "programme.publish", "live.control"},
        "registrations": {
            "events.list",
            "attendees.read",
            "attendees.manage",
            "attendees.message",
            "registration.settings",
            "statistics.read",
        },
        "door": {"events.list", "checkin"},
        "viewer": {"events.list", "statistics.read"},
    } == ROLE_PERMISSIONS


def test_only_owner_and_registrations_see_personal_data_and_the_door_only_at_check_in():
    seeing = {role for role, granted in ROLE_PERMISSIONS.items() if granted & PERSONAL_DATA}
    assert seeing == {"owner", "registrations", "door"}
    assert ROLE_PERMISSIONS["door"] & PERSONAL_DATA == {"checkin"}
    assert not ROLE_PERMISSIONS["viewer"] & PERSONAL_DATA
    assert not ROLE_PERMISSIONS["programme"] & PERSONAL_DATA


def test_only_the_owner_creates_events_and_everyone_but_programme_sees_counts():
    creating = {role for role, granted in ROLE_PERMISSIONS.items() if "events.create" in granted}
    assert creating == {"owner"}
    counting = {role for role, granted in ROLE_PERMISSIONS.items() if "statistics.read" in granted}
    assert counting == {"owner", "registrations", "viewer"}


# -- allowed and the decorators ------------------------------------------------------------------


def test_a_platform_administrator_may_do_everything_on_every_event():
    admin = Principal("ops")
    for permission in PERMISSIONS:
        for owner in ("bochum", None):
            assert allowed(admin, permission, "demo", owner)
        assert allowed(admin, permission, None, None)
    with pytest.raises(ValueError, match=r"programme\.typo"):
        allowed(admin, "programme.typo", "demo", None)


def test_a_member_acts_on_its_organisations_events_as_its_role_allows():
    for role, granted in ROLE_PERMISSIONS.items():
        member = Principal("erika", organisation="bochum", role=role)
        for permission in PERMISSIONS:
            assert allowed(member, permission, "bowo", "bochum") == (permission in granted)
            # Another organisation's event, or one of none, is as if it did not exist.
            for owner in ("herne", None):
                assert not allowed(member, permission, "bowo", owner)
                with pytest.raises(NoSuchEvent):
                    require(member, permission, "bowo", owner)
        if "programme.publish" not in granted:
            with pytest.raises(Forbidden, match=r"programme\.publish"):
                require(member, "programme.publish", "bowo", "bochum")


def test_a_member_limited_to_events_sees_only_those_and_creates_none():
    owner = Principal("erika", organisation="bochum", role="owner", events=("bowo",))
    assert allowed(owner, "programme.publish", "bowo", "bochum")
    assert not allowed(owner, "programme.publish", "bowo-2027", "bochum")
    with pytest.raises(NoSuchEvent):
        require(owner, "programme.publish", "bowo-2027", "bochum")
    assert not allowed(owner, "events.create", None, None)
    assert allowed(Principal("erika", "bochum", "owner"), "events.create", None, None)


def test_a_route_names_a_known_permission_and_declares_once():
    organiser = organiser_required(ApiToken)
    with pytest.raises(ValueError, match=r"programme\.typo"):
        organiser("programme.typo")
    with pytest.raises(ValueError, match=r"attendees\.all"):
        organiser_login_required("attendees.all")

    def view():
        return "ok"

    with pytest.raises(ValueError, match="already"):
        organiser("checkin")(public(view))


@pytest.fixture
def schedule(schedule_db, make_config):
    """The schedule service with the event `demo` in its draft, a token and erika's account."""
    token = new_token()
    with schedule_db.transaction() as session:
        store_token(session, ApiToken, "ops", token)
        set_organiser_password(session, OrganiserAccount, "erika", PASSWORD)
        create_event(
            session,
            {
                "slug": "demo",
                "title": "Demowoche",
                "starts_on": date(2026, 12, 10),
                "ends_on": date(2026, 12, 11),
            },
        )
    app = load_service("schedule").create_app(make_config(schedule_db=schedule_db))
    yield app, {"Authorization": f"Bearer {token}"}
    app.extensions["todo_db"].dispose()


@pytest.fixture
def refusing(monkeypatch):
    """`allowed` says no to everyone and records what it was asked."""
    asked = []

    def refuse(principal, permission, event, owner, organisation=None):
        asked.append((principal, permission, event))
        return False

    monkeypatch.setattr(permissions, "allowed", refuse)
    return asked


def test_an_api_operation_asks_about_the_urls_event_and_refuses_with_403(schedule, refusing):
    app, headers = schedule
    client = app.test_client()
    answer = client.post(
        "/api/v1/events/demo/releases",
        json={"comment": "zweite Fassung"},
        headers=headers | {"Accept-Language": "en"},
    )
    assert answer.status_code == 403
    assert answer.json["message"] == (
        "Your role does not allow this (it needs the permission programme.publish)."
    )
    assert refusing == [(Principal("ops"), "programme.publish", "demo")]
    assert client.post("/api/v1/events", json={}, headers=headers).status_code == 403
    assert refusing[-1] == (Principal("ops"), "events.create", None)


def test_a_token_that_may_not_edit_reads_what_the_public_reads(schedule, monkeypatch):
    app, headers = schedule
    client = app.test_client()
    assert client.get("/api/v1/events/demo", headers=headers).json["title"] == "Demowoche"
    monkeypatch.setattr(permissions, "allowed", lambda *_: False)
    # Nothing is published yet: the public sees no event.
    assert client.get("/api/v1/events/demo", headers=headers).status_code == 404


def test_an_organiser_page_asks_about_the_urls_event_and_refuses_with_a_page(schedule, refusing):
    app, _headers = schedule
    client = app.test_client()
    with client.session_transaction() as cookie:
        cookie.update(organiser_session(Principal("erika")))
    answer = client.get("/demo/organiser/publish", headers={"Accept": "text/html"})
    assert answer.status_code == 403
    assert "Zugriff verweigert" in answer.text and "programme.publish" in answer.text
    assert refusing == [(Principal("erika"), "programme.publish", "demo")]
