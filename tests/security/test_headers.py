"""Security headers on every response: every GET route of every service's URL map, with its
path filled from seeded data, anonymous and as a logged-in organiser."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from services.registration.models import Attendee, Ticket
from services.schedule.importer import import_programme
from services.schedule.models import OrganiserAccount, ProgrammeSession, Speaker
from services.schedule.programme_format import load_programme_document
from services.schedule.releases import publish_release
from shared.headers import HSTS, content_security_policy, service_origins
from shared.pages.organisers import set_organiser_password
from shared.service import load_service
from tests.support.schedule import MAIN_STAGE, make_document
from tests.support.security import EVENT

PASSWORD = "correct horse battery"
SERVICES = ("schedule", "registration", "notify")
SECRET_ROUTES = {"<token>", "<receipt>"}
# The street screen may be shown in a frame by signage players; it has nothing to click. The
# programme widget is made for other sites' frames; its links open new tabs.
FRAMABLE = {"schedule_pages.screen", "schedule_pages.widget"}
# Calendar apps may keep the personal feed for a few minutes; it is theirs alone (`private`).
PRIVATELY_CACHED = {"feeds.personal_feed"}


@pytest.fixture
def https_platform(platform, make_database, make_config):
    """The security platform plus the schedule service with the same event published, all
    three apps configured for an https `PUBLIC_BASE_URL`."""
    schedule_db = make_database("schedule")
    document = make_document(slug=EVENT)
    with schedule_db.transaction() as session:
        event = import_programme(session, load_programme_document(document)).event
        publish_release(session, event, "")
        set_organiser_password(session, OrganiserAccount, "erika", PASSWORD)
    config = platform.config.with_overrides(
        database_urls=platform.config.database_urls | {"schedule": schedule_db.url},
        public_base_url="https://todo.example",
    )
    apps = {service: load_service(service).create_app(config) for service in SERVICES}
    yield apps, schedule_db
    for app in apps.values():
        app.extensions["todo_db"].dispose()


def seeded_values(platform, schedule_db) -> dict[str, dict[str, str]]:
    """Path parameters that lead to real pages: per service, variable -> value."""
    assert platform.register("Eva Muster", "eva@example.org").status_code == 201
    platform.deliver()
    with platform.dbs["registration"].transaction() as session:
        attendee = session.scalar(select(Attendee))
        ticket = session.scalar(select(Ticket))
        manage_token, feed_token, ticket_id = attendee.manage_token, attendee.feed_token, ticket.id
    with schedule_db.transaction() as session:
        session_id = session.scalar(select(ProgrammeSession.id).order_by(ProgrammeSession.id))
        speaker_id = session.scalar(select(Speaker.id))
    common = {"event": EVENT}
    return {
        "schedule": common
        | {
            "session_id": str(session_id),
            "guid": MAIN_STAGE,
            "stage": MAIN_STAGE,
            "number": "1",
            "slug": "demografie",
            "speaker_id": str(speaker_id),
            "filename": "programme.js",
        },
        "registration": common
        | {"session_id": "1", "token": manage_token, "ticket_id": str(ticket_id)},
        "notify": common
        | {"token": feed_token, "track": "digitalisierung", "day": date.today().isoformat()},
        "static": {"filename": "pages.css"},
    }


def concrete(rule, values: dict[str, dict[str, str]], service: str) -> str:
    def fill(match: re.Match) -> str:
        name = match.group(1).rsplit(":", 1)[-1]
        if name == "filename" and rule.endpoint.endswith(".static"):
            return values["static"]["filename"] if "shared" in rule.rule else "programme.js"
        # A variable nobody seeded (a route added later) still gets an answer to check.
        return values[service].get(name, "unknown")

    return re.sub(r"<([^>]+)>", fill, rule.rule)


def walk(app, client, values, service) -> list[tuple]:
    answers = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        path = concrete(rule, values, service)
        for accept in ("text/html", "application/json"):
            response = client.get(path, headers={"Accept": accept})
            answers.append((rule, path, response))
    return answers


def log_in(client) -> None:
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    answer = client.post(
        "/login", data={"name": "erika", "password": PASSWORD, "csrf_token": token}
    )
    assert answer.status_code == 303


def check(rule, path, response) -> None:
    headers = response.headers
    where = (path, response.status_code)
    framable = rule.endpoint in FRAMABLE
    policy = headers.get("Content-Security-Policy", "")
    directives = dict(
        [*part.split(" ", 1), ""][:2] for part in (p.strip() for p in policy.split(";")) if part
    )
    assert directives.get("default-src") == "'none'", where
    assert directives.get("script-src") == "'self'", where
    assert directives.get("style-src", "").startswith("'self'"), where
    assert "unsafe" not in policy, where
    assert directives.get("frame-ancestors") == ("*" if framable else "'none'"), where
    assert headers.get("X-Frame-Options") == (None if framable else "DENY"), where
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("Strict-Transport-Security") == HSTS, where
    secret = any(variable in rule.rule for variable in SECRET_ROUTES)
    assert headers.get("Referrer-Policy") == (
        "no-referrer" if secret else "strict-origin-when-cross-origin"
    ), where
    organiser = "/organiser" in rule.rule or rule.rule == "/login"
    if rule.endpoint in PRIVATELY_CACHED and response.status_code == 200:
        assert headers["Cache-Control"].startswith("private"), where
    elif secret or organiser:
        assert headers.get("Cache-Control") == "no-store", where


def test_every_get_route_of_every_service_sends_the_security_headers(platform, https_platform):
    apps, schedule_db = https_platform
    values = seeded_values(platform, schedule_db)
    answers = []
    for service, app in apps.items():
        answers += walk(app, app.test_client(), values, service)
    schedule = apps["schedule"].test_client()
    log_in(schedule)
    answers += walk(apps["schedule"], schedule, values, "schedule")
    for rule, path, response in answers:
        assert response.status_code < 500, (path, response.status_code)
        check(rule, path, response)
    ok = {path for _, path, response in answers if response.status_code == 200}
    manage = f"/{EVENT}/manage/{values['registration']['token']}"
    expected = {
        f"/{EVENT}/",
        f"/{EVENT}/sessions/{values['schedule']['session_id']}",
        f"/{EVENT}/screen/{MAIN_STAGE}",
        f"/{EVENT}/organiser/",
        f"/{EVENT}/organiser/stages",
        f"/{EVENT}/schedule.xml",
        f"/{EVENT}/register",
        manage,
        f"{manage}/data.json",
        f"/{EVENT}/calendar.ics",
        f"/{EVENT}/calendar/personal/{values['notify']['token']}.ics",
        "/privacy",
        "/static/shared/pages.css",
    }
    assert expected <= ok, expected - ok


def test_a_page_with_a_track_colour_uses_the_responses_nonce(platform, https_platform):
    apps, schedule_db = https_platform
    values = seeded_values(platform, schedule_db)
    page = (
        apps["schedule"].test_client().get(f"/{EVENT}/sessions/{values['schedule']['session_id']}")
    )
    nonce = re.search(r'<style nonce="([^"]+)">', page.text).group(1)
    assert f"style-src 'self' 'nonce-{nonce}'" in page.headers["Content-Security-Policy"]
    assert "--track: #e4572e" in page.text
    assert " style=" not in page.text and "<script>" not in page.text
    again = apps["schedule"].test_client().get(page.request.path)
    assert nonce not in again.headers["Content-Security-Policy"]


def test_no_hsts_over_plain_http_and_the_services_may_talk_to_each_other(platform):
    config = platform.config
    assert config.public_base_url.startswith("http://")
    for client in platform.clients.values():
        response = client.get("/privacy")
        assert response.status_code == 200
        assert "Strict-Transport-Security" not in response.headers
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    origins = service_origins(config)
    assert origins.split() == sorted(set(origins.split()))
    policy = content_security_policy(origins, None, False)
    for url in config.service_urls.values():
        assert url in policy
    assert "'nonce-" not in policy
