"""Organisations and roles (issue 12) with real requests: every organiser route of every service
for every role, with Bearer tokens and session cookies; another organisation's event answers
exactly like a missing one and its data stays untouched; revoked tokens and changed memberships
end everywhere."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from harness.infra import database_factory
from services.registration.models import Event as RegistrationEvent
from services.registration.models import Ticket
from services.schedule import draft
from services.schedule.models import Event as ScheduleEvent
from services.schedule.models import OutboxMessage, Release
from services.schedule.organisers import set_password
from shared.config import Config
from shared.messages import parse_envelope
from shared.organisations import EVENT_OWNER_CHANGED, event_owner, membership
from shared.pages.organisers import SESSIONS_REVOKED
from shared.permissions import ROLE_PERMISSIONS
from tests.support.organisations import (
    CSRF,
    EVENT_A,
    EVENT_B,
    HTML,
    JSON,
    NO_SUCH_EVENT,
    ORG_A,
    ORG_B,
    OTHER_A,
    PASSWORD,
    PRINCIPALS,
    SERVED,
    SERVICES,
    World,
    declared_routes,
    expected_outcome,
    summary,
)

ROUTES = declared_routes()


@pytest.fixture(scope="module")
def world(tmp_path_factory, amqp_url):
    """Both organisations' events on the three services, module-wide: the matrix only adds to
    EVENT_A (each DELETE removes an object made for it), the other tests use their own
    tokens, accounts and new events, and compare EVENT_B's data before and after."""
    directory = tmp_path_factory.mktemp("organisations")
    base = Config.from_env(
        {"TODO_VAR_DIR": str(directory / "var"), "TODO_TESTING": "1"}
    ).with_overrides(amqp_url=amqp_url, testing=True)
    with database_factory(directory) as make_database:
        world = World(make_database, base)
        yield world
        world.close()


# -- the role matrix -----------------------------------------------------------------------------


def test_registration_and_notify_learn_the_owners_from_the_schedule_services_message(world):
    wanted = {EVENT_A: ORG_A, OTHER_A: ORG_A, EVENT_B: ORG_B}
    for service in SERVICES:
        owners = world.specs[service].event_owners
        with world.dbs[service].transaction() as session:
            found = {event: event_owner(session, owners, event) for event in wanted}
        assert found == wanted, service


def test_the_matrix_has_pages_and_api_and_shows_each_role_what_it_may_and_may_not_do():
    kinds = {(route.service, route.page) for route in ROUTES}
    assert kinds >= {(s, page) for s in ("schedule", "registration") for page in (True, False)}
    needed = {route.permission for route in ROUTES}
    for role, granted in ROLE_PERMISSIONS.items():
        assert needed & granted, role
        assert role == "owner" or needed - granted, role


@pytest.mark.parametrize("key", PRINCIPALS)
@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_each_role_on_each_organiser_route(world, route, key):
    """Permission in the role: the view runs (an empty form or body may be refused by it);
    not in the role: 403; an event not the principal's: 404, the same as for no event."""
    values = world.path_values(route)
    event = values["event"] if "event" in route.variables else None
    organisation = values["organisation"] if "organisation" in route.variables else None
    expected = expected_outcome(
        PRINCIPALS[key], route.permission, event, ORG_A if event else None, organisation
    )
    answer, found = world.answer_and_outcome(
        route.service, route.method, route.path(values), key, organisation or EVENT_A
    )
    assert found == expected, f"{key} on {route}: {answer.status_code} {summary(answer)}"


# -- one organisation against another's event ---------------------------------------------------


def attempts_on_b(world) -> list[tuple[str, str, str, dict | None]]:
    """(service, method, path, body) that would edit, publish, delay, read, check in and
    configure EVENT_B, in the API and on the pages, each valid for EVENT_B's owner."""
    session_id, code = world.session_id(EVENT_B), world.ticket_code(EVENT_B)
    with world.dbs["schedule"].transaction() as session:
        event = draft.find_event(session, EVENT_B)
        found = draft.find_session(session, event, session_id)
        stage, tz = found.stage.guid, draft.event_timezone(event)
        starts, ends = found.starts_at.astimezone(tz), found.ends_at.astimezone(tz)
    api, page = f"/api/v1/events/{EVENT_B}", f"/{EVENT_B}/organiser"
    form = {
        "title": "Gekapert",
        "stage": stage,
        "day": starts.date().isoformat(),
        "start": starts.strftime("%H:%M"),
        "end": ends.strftime("%H:%M"),
        "registration": "required",
        "status": "scheduled",
    }
    return [
        ("schedule", "PATCH", f"{api}/sessions/{session_id}", {"title": "Gekapert"}),
        ("schedule", "POST", f"{page}/sessions/{session_id}", form),
        ("schedule", "POST", f"{api}/releases", {"comment": "gekapert"}),
        ("schedule", "POST", f"{page}/publish", {"comment": "gekapert"}),
        (
            "schedule",
            "POST",
            f"{api}/stages/{stage}/delays",
            {"minutes": 10, "session": session_id},
        ),
        ("schedule", "POST", f"{page}/live/stages/{stage}/delay", {"minutes": "10"}),
        ("registration", "GET", f"{api}/attendees.csv", None),
        ("registration", "GET", f"{page}/registrations/attendees.csv", None),
        ("registration", "GET", f"{api}/sessions/{session_id}/tickets", None),
        ("registration", "GET", f"{page}/registrations/sessions/{session_id}", None),
        ("registration", "GET", f"{api}/counts", None),
        ("registration", "GET", f"{page}/registrations", None),
        ("registration", "POST", f"{api}/checkins", {"code": code}),
        ("registration", "POST", f"{page}/check-in", {"code": code, "session": str(session_id)}),
        ("registration", "GET", f"{api}/settings", None),
        ("registration", "PUT", f"{api}/settings", {"confirm_email": True}),
        (
            "registration",
            "POST",
            f"{page}/registrations/settings",
            {"confirm_email": "on", "release_no_shows_after_minutes": "5"},
        ),
    ]


def b_state(world) -> dict:
    """What the attempts would change of EVENT_B."""
    with world.dbs["schedule"].transaction() as session:
        event = draft.find_event(session, EVENT_B)
        releases = session.scalar(select(func.count()).where(Release.event_id == event.id))
        titles = sorted(s.title for s in draft.list_sessions(session, event))
    with world.dbs["registration"].transaction() as session:
        event = session.scalar(select(RegistrationEvent).where(RegistrationEvent.slug == EVENT_B))
        checked_in = session.scalar(
            select(Ticket.checked_in_at).where(Ticket.code == world.ticket_code(EVENT_B))
        )
        settings = (event.confirm_email, event.release_no_shows_after_minutes)
    return {"releases": releases, "titles": titles, "checked_in": checked_in, "settings": settings}


def test_an_owner_finds_nothing_of_another_organisations_event_and_changes_nothing(world):
    # An unpublished edit in B's draft, so that publishing would do something.
    with world.dbs["schedule"].transaction() as session:
        event = draft.find_event(session, EVENT_B)
        draft.update_session(session, draft.list_sessions(session, event)[0], {"abstract": "neu"})
    attempts = attempts_on_b(world)
    before, everything = b_state(world), world.snapshot()
    assert "Gast herne-woche" in repr(everything["registration"]["attendees"])

    wrong = []
    for service, method, path, body in attempts:
        answer, found = world.answer_and_outcome(service, method, path, "owner", EVENT_B, body)
        if found != NO_SUCH_EVENT or "Herne" in answer.get_data(as_text=True):
            wrong.append((method, path, answer.status_code, found))
    assert wrong == []
    assert world.snapshot() == everything

    # The same requests by B's own owner do what they say: they were worth refusing.
    served = [
        world.answer_and_outcome(service, method, path, "owner-of-b", EVENT_B, body)[1]
        for service, method, path, body in attempts
    ]
    assert served == [SERVED] * len(attempts)
    after = b_state(world)
    assert after["releases"] > before["releases"]
    assert "Gekapert" in after["titles"]
    assert before["checked_in"] is None and after["checked_in"] is not None
    assert after["settings"] == (True, 5) != before["settings"]


def new_event(slug: str, **extra) -> dict:
    starts = date.today() + timedelta(days=60)
    return {
        "slug": slug,
        "title": "Bochumer Woche 2027",
        "starts_on": starts.isoformat(),
        "ends_on": (starts + timedelta(days=2)).isoformat(),
        **extra,
    }


def test_a_member_creates_events_only_for_its_own_organisation(world):
    client = world.apps["schedule"].test_client()
    headers = JSON | world.bearer("owner")

    refused = client.post(
        "/api/v1/events", json=new_event("bochum-fremd", organisation=ORG_B), headers=headers
    )
    assert refused.status_code == 422
    assert list(refused.json["errors"]) == ["organisation"]
    with world.dbs["schedule"].transaction() as session:
        assert (
            session.scalar(select(ScheduleEvent).where(ScheduleEvent.slug == "bochum-fremd"))
            is None
        )

    created = client.post("/api/v1/events", json=new_event("bochum-2027"), headers=headers)
    assert created.status_code == 201, created.json
    with world.dbs["schedule"].transaction() as session:
        assert event_owner(session, world.specs["schedule"].event_owners, "bochum-2027") == ORG_A
        announced = [
            parse_envelope(row.body.encode()).data
            for row in session.scalars(
                select(OutboxMessage).where(
                    OutboxMessage.routing_key == EVENT_OWNER_CHANGED,
                    OutboxMessage.published_at.is_(None),
                )
            )
        ]
    assert [(m["event"], m["organisation"]) for m in announced] == [("bochum-2027", ORG_A)]
    assert EVENT_OWNER_CHANGED in world.deliver()
    for service in ("registration", "notify"):
        with world.dbs[service].transaction() as session:
            owners = world.specs[service].event_owners
            assert event_owner(session, owners, "bochum-2027") == ORG_A, service


# -- revocation ----------------------------------------------------------------------------------


def test_a_revoked_member_token_is_refused_by_every_service(world):
    created = world.run_todo("create-token", "tuer-bot", "--organisation", ORG_A, "--role", "door")
    world.tokens["tuer-bot"] = created.stdout.strip().splitlines()[-1]
    api = [route for route in ROUTES if not route.page]

    def statuses() -> dict[str, int]:
        return {
            str(route): world.send(
                route.service, route.method, route.path(world.path_values(route)), "tuer-bot"
            ).status_code
            for route in api
        }

    before = statuses()
    assert {route.service for route in api} >= {"schedule", "registration"}
    assert [call for call, status in before.items() if status == 401] == []
    assert "revoked" in world.run_todo("revoke-token", "tuer-bot").output
    after = statuses()
    assert [call for call, status in after.items() if status != 401] == []
    for service in SERVICES:
        tokens = world.specs[service].tokens
        with world.dbs[service].transaction() as session:
            rows = session.scalars(select(tokens).where(tokens.name == "tuer-bot")).all()
        assert [row.revoked_at is not None for row in rows] == [True], service


def log_in(world, name: str):
    client = world.apps["schedule"].test_client()
    csrf = CSRF.search(client.get("/login").get_data(as_text=True))[1]
    answer = client.post("/login", data={"name": name, "password": PASSWORD, "csrf_token": csrf})
    assert answer.status_code == 303
    return client.get_cookie("todo_session").value


def registration_page(world, cookie: str, path: str) -> int:
    client = world.apps["registration"].test_client()
    client.set_cookie("todo_session", cookie)
    answer = client.get(path, headers=HTML)
    if answer.status_code == 303:
        assert "/login?" in answer.headers["Location"]
    return answer.status_code


def test_a_changed_membership_ends_the_accounts_sessions_everywhere(world):
    with world.dbs["schedule"].transaction() as session:
        set_password(session, "liste-a", PASSWORD, membership(ORG_A, "registrations"))
    old = log_in(world, "liste-a")
    dashboard = f"/{EVENT_A}/organiser/registrations"
    export = f"{dashboard}/attendees.csv"
    assert registration_page(world, old, export) == 200

    with world.dbs["schedule"].transaction() as session:
        set_password(session, "liste-a", PASSWORD, membership(ORG_A, "viewer"))
    # Registration checks its own database: it learns of the change from the message.
    assert registration_page(world, old, export) == 200
    assert SESSIONS_REVOKED in world.deliver()
    assert registration_page(world, old, export) == 303
    assert registration_page(world, old, dashboard) == 303

    # A new login carries the new membership.
    new = log_in(world, "liste-a")
    assert registration_page(world, new, dashboard) == 200
    assert registration_page(world, new, export) == 403
