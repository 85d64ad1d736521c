"""Organiser access: every API operation that the OpenAPI documents mark as organiser-only
refuses a missing, malformed, wrong, revoked or expired token; `todo revoke-token` and token
expiry; session cookies that cannot be forged and end everywhere at logout, a new password or
the account's removal; the login's rate limit across processes; where the login leads."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
from datetime import date, timedelta
from types import SimpleNamespace
from urllib.parse import urlencode

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import select, update

from harness.infra import wait_until
from harness.stack import free_port
from services.schedule.draft import create_event
from services.schedule.models import OrganiserAccount, RateCounter
from shared import cli, ratelimit
from shared.auth import hash_token, new_token, store_token
from shared.db import Database, utcnow
from shared.messages import parse_envelope
from shared.pages.organisers import (
    SESSION_LIFETIME,
    organiser_session,
    record_revocation,
    set_organiser_password,
)
from shared.permissions import Principal
from shared.ratelimit import DatabaseCounters, RateLimit
from shared.service import load_service
from tests.support.security import EVENT

# Organiser operations that must be among the secured ones (guards against an empty list).
KNOWN = {
    "schedule": {("post", "/api/v1/events"), ("post", "/api/v1/events/{event}/releases")},
    "registration": {
        ("get", "/api/v1/events/{event}/attendees.csv"),
        ("post", "/api/v1/events/{event}/checkins"),
    },
    "notify": set(),
}


def secured_operations(document: dict) -> list[tuple[str, str]]:
    default = document.get("security")
    operations = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            if operation.get("security", default):
                operations.append((method, path))
    return operations


def concrete(path: str) -> str:
    def value(match: re.Match) -> str:
        name = match.group(1)
        return (
            "todo2024"
            if name == "event"
            else "1"
            if "id" in name
            or name
            in {
                "number",
                "session",
            }
            else "x"
        )

    return re.sub(r"\{(\w+)\}", value, path)


@pytest.mark.parametrize("service", ["schedule", "registration", "notify"])
def test_organiser_operations_refuse_missing_wrong_and_revoked_tokens(
    service, make_database, make_config
):
    db = make_database(service)
    spec = load_service(service)
    revoked, expired = new_token(), new_token()
    with db.transaction() as session:
        store_token(session, spec.tokens, "revoked", revoked)
        store_token(session, spec.tokens, "expired", expired, lifetime=timedelta(0))
    with db.transaction() as session:
        session.execute(
            update(spec.tokens)
            .where(spec.tokens.token_hash == hash_token(revoked))
            .values(revoked_at=utcnow())
        )
    app = spec.create_app(make_config(**{f"{service}_db": db}))
    client = app.test_client()
    document = client.get("/api/v1/openapi.json").get_json()
    operations = secured_operations(document)
    assert KNOWN[service] <= set(operations)

    refused = []
    for method, path in operations:
        for header in (
            None,
            "Bearer",
            "Basic dG9kbzp0b2Rv",
            f"Bearer {new_token()}",
            f"Bearer {revoked}",
            f"Bearer {revoked[:-1]}",
            f"Bearer {expired}",
        ):
            headers = {"Authorization": header} if header else {}
            response = client.open(concrete(path), method=method.upper(), headers=headers, json={})
            refused.append((method, path, header and header[:12], response.status_code))
    wrong = [r for r in refused if r[3] != 401]
    assert not wrong, wrong
    app.extensions["todo_db"].dispose()


# -- the organiser's session cookie -------------------------------------------------------------

PASSWORD = "correct horse battery"
CSV = f"/{EVENT}/organiser/registrations/attendees.csv"
HTML = {"Accept": "text/html"}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def schedule(make_database, platform):
    """The schedule service beside the platform's two, with the organiser erika and the event."""
    db = make_database("schedule")
    with db.transaction() as session:
        set_organiser_password(session, OrganiserAccount, "erika", PASSWORD)
        create_event(
            session,
            {
                "slug": EVENT,
                "title": "Sicherheitswoche",
                "starts_on": date(2026, 12, 10),
                "ends_on": date(2026, 12, 10),
            },
        )
    app = load_service("schedule").create_app(
        platform.config.with_overrides(
            database_urls={**platform.config.database_urls, "schedule": db.url}
        )
    )
    yield SimpleNamespace(db=db, app=app, client=app.test_client())
    app.extensions["todo_db"].dispose()


def log_in(client, next_url: str | None = None, password: str = PASSWORD):
    page = client.get("/login")
    data = {"name": "erika", "password": password, "csrf_token": CSRF.search(page.text)[1]}
    if next_url is not None:
        data["next"] = next_url
    return client.post("/login", data=data)


def opens(app, cookie: str) -> bool:
    """Whether the service lets this session cookie in as erika, on an organiser page and in
    the page footer (notify has no organiser pages yet: its footer offers erika's logout)."""
    client = app.test_client()
    client.set_cookie("todo_session", cookie)
    footer = "Abmelden (erika)" in client.get("/privacy").text
    service = app.extensions["todo_service"]
    if service == "notify":
        return footer
    page = {"schedule": f"/{EVENT}/organiser/", "registration": CSV}[service]
    status = client.get(page, headers=HTML).status_code
    assert status in (200, 303), status
    assert footer == (status == 200)
    return status == 200


def all_apps(platform, schedule) -> list:
    return [schedule.app, platform.apps["registration"], platform.apps["notify"]]


def deliver_schedule_messages(platform, schedule) -> int:
    """Schedule's outbox to registration's and notify's real handlers (relay and consumer)."""
    outbox = load_service("schedule").outbox
    with schedule.db.transaction() as session:
        bodies = [row.body for row in session.scalars(select(outbox).order_by(outbox.id))]
    for body in bodies:
        platform._consume(parse_envelope(body))
    return len(bodies)


def test_a_cookie_signed_with_the_old_development_key_is_refused(platform, schedule):
    payload = organiser_session(Principal("erika"))
    forger = Flask("forger")
    forger.secret_key = "dev-secret-change-me"
    forged = SecureCookieSessionInterface().get_signing_serializer(forger).dumps(payload)
    for app in all_apps(platform, schedule):
        assert not opens(app, forged), app.extensions["todo_service"]
        assert app.secret_key != "dev-secret-change-me"
    # The same session signed with the platform's key opens every service: only the key differs.
    genuine = SecureCookieSessionInterface().get_signing_serializer(schedule.app).dumps(payload)
    assert all(opens(app, genuine) for app in all_apps(platform, schedule))


def test_a_session_ends_after_its_lifetime_however_often_it_was_used(platform, schedule):
    old = organiser_session(Principal("erika"), utcnow() - SESSION_LIFETIME - timedelta(minutes=1))
    cookie = SecureCookieSessionInterface().get_signing_serializer(schedule.app).dumps(old)
    assert not any(opens(app, cookie) for app in all_apps(platform, schedule))


def test_pages_that_change_nothing_leave_the_shared_cookie_alone(schedule):
    """Every service shares the session cookie: a page or fragment that re-sent it unchanged
    could overwrite what another service had just put in it (a flash message of a form sent at
    the same moment was lost that way in a browser test)."""
    assert log_in(schedule.client).status_code == 303
    # The first page after the login puts the forms' CSRF token into the session.
    schedule.client.get(f"/{EVENT}/organiser/", headers=HTML)
    for path in (f"/{EVENT}/organiser/", f"/{EVENT}/organiser/pending?lang=de"):
        answer = schedule.client.get(path, headers=HTML)
        assert answer.status_code == 200, path
        assert "todo_session" not in answer.headers.get("Set-Cookie", ""), path


def end_by_logout(schedule, _run_todo):
    client = schedule.client
    page = client.get("/privacy")
    assert client.post("/logout", data={"csrf_token": CSRF.search(page.text)[1]}).status_code == 303
    assert client.get_cookie("todo_session") is None or not opens(
        schedule.app, client.get_cookie("todo_session").value
    )


def end_by_new_password(_schedule, run_todo):
    result = run_todo("create-organiser", "erika", "--password-stdin", input="a new passphrase!\n")
    assert "password changed" in result.output


def end_by_removal(_schedule, run_todo):
    assert "removed" in run_todo("remove-organiser", "erika").output


@pytest.fixture
def run_todo(schedule, platform):
    def run(*args: str, input: str | None = None, ok: bool = True):
        env = {
            "SCHEDULE_DATABASE_URL": schedule.db.url,
            "REGISTRATION_DATABASE_URL": platform.dbs["registration"].url,
            "NOTIFY_DATABASE_URL": platform.dbs["notify"].url,
            "TODO_VAR_DIR": str(platform.config.var_dir),
        }
        result = CliRunner().invoke(cli.main, list(args), input=input, env=env)
        assert (result.exit_code == 0) == ok, result.output
        return result

    return run


@pytest.mark.parametrize("end", [end_by_logout, end_by_new_password, end_by_removal])
def test_a_captured_cookie_is_refused_everywhere_once_the_session_ended(
    platform, schedule, run_todo, end
):
    assert log_in(schedule.client).status_code == 303
    captured = schedule.client.get_cookie("todo_session").value
    assert all(opens(app, captured) for app in all_apps(platform, schedule))

    end(schedule, run_todo)
    # The schedule service keeps the accounts and the record: refused at once.
    assert not opens(schedule.app, captured)
    # The others learn it from the message, without calling the schedule service.
    assert deliver_schedule_messages(platform, schedule) == 1
    assert not any(opens(app, captured) for app in all_apps(platform, schedule))
    # A redelivered message changes nothing.
    assert deliver_schedule_messages(platform, schedule) == 1


def test_a_new_login_after_a_password_change_works_everywhere(platform, schedule, run_todo):
    assert log_in(schedule.client).status_code == 303
    old = schedule.client.get_cookie("todo_session").value
    end_by_new_password(schedule, run_todo)
    deliver_schedule_messages(platform, schedule)
    assert log_in(schedule.client).status_code == 401
    assert log_in(schedule.client, password="a new passphrase!").status_code == 303
    fresh = schedule.client.get_cookie("todo_session").value
    assert all(opens(app, fresh) for app in all_apps(platform, schedule))
    assert not any(opens(app, old) for app in all_apps(platform, schedule))


def test_logout_ends_only_that_session(platform, schedule, run_todo):
    other_browser = schedule.app.test_client()
    assert log_in(other_browser).status_code == 303
    kept = other_browser.get_cookie("todo_session").value
    assert log_in(schedule.client).status_code == 303
    end_by_logout(schedule, run_todo)
    deliver_schedule_messages(platform, schedule)
    assert all(opens(app, kept) for app in all_apps(platform, schedule))


def test_removing_an_unknown_organiser_says_so(run_todo):
    assert "no organiser 'nobody'" in run_todo("remove-organiser", "nobody", ok=False).output


def test_revocations_older_than_a_session_are_forgotten(platform, schedule):
    model = load_service("registration").revocations
    long_ago = utcnow() - SESSION_LIFETIME - timedelta(minutes=1)
    with platform.dbs["registration"].transaction() as session:
        record_revocation(session, model, "erika", revoked_at=long_ago, session_id="old")
    assert log_in(schedule.client).status_code == 303
    end_by_logout(schedule, None)
    deliver_schedule_messages(platform, schedule)
    with platform.dbs["registration"].transaction() as session:
        assert session.scalars(select(model.session_id)).all() != ["old"]
        assert len(session.scalars(select(model.id)).all()) == 1


# -- where the login leads ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "/\t/evil.example",
        "/\n/evil.example",
        "/\r\n/evil.example",
        "\t//evil.example",
        " //evil.example",
        "//evil.example",
        "///evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/\\/evil.example",
        "\u2028//evil.example",
        "/\x7f/evil.example",
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "https://evil.example/",
        "http://127.0.0.1:8001@evil.example/",
        "http://127.0.0.1:8001.evil.example/",
        "http://[::1/",
        "x" * 3000,
    ],
)
def test_login_never_leads_elsewhere_and_never_fails(schedule, target):
    page = schedule.client.get("/login?" + urlencode({"next": target}))
    assert page.status_code == 200
    assert '<input type="hidden" name="next" value="/organiser/">' in page.text
    response = log_in(schedule.client, next_url=target)
    assert response.status_code == 303
    assert response.headers["Location"] == "/organiser/"


def test_login_with_an_encoded_tab_in_the_query_goes_to_the_default(schedule):
    page = schedule.client.get("/login?next=/%09/evil.example")
    assert '<input type="hidden" name="next" value="/organiser/">' in page.text
    response = schedule.client.post(
        "/login?next=/%09/evil.example",
        data={"name": "erika", "password": PASSWORD, "csrf_token": CSRF.search(page.text)[1]},
    )
    assert response.headers["Location"] == "/organiser/"


@pytest.mark.parametrize(
    "target",
    [f"/{EVENT}/organiser/?tab=live", "http://127.0.0.1:8002/secweek/organiser/registrations"],
)
def test_login_leads_back_to_our_pages(schedule, target):
    assert log_in(schedule.client, next_url=target).headers["Location"] == target


# -- API tokens: revoked and expired ------------------------------------------------------------


def token_answers(platform, schedule, token: str) -> dict[str, tuple[int, str]]:
    """An organiser call on schedule and registration (notify has none) with the token."""
    headers = {"Authorization": f"Bearer {token}"}
    answers = {
        # An empty new event: 422 once the token is accepted.
        "schedule": schedule.client.post("/api/v1/events", json={}, headers=headers),
        "registration": platform.clients["registration"].get(
            f"/api/v1/events/{EVENT}/attendees.csv", headers=headers
        ),
    }
    return {
        service: (answer.status_code, answer.get_data(as_text=True))
        for service, answer in answers.items()
    }


def stored_tokens(platform, schedule, name: str) -> dict[str, list]:
    dbs = {"schedule": schedule.db, **platform.dbs}
    rows = {}
    for service, db in dbs.items():
        model = load_service(service).tokens
        with db.transaction() as session:
            rows[service] = session.scalars(select(model).where(model.name == name)).all()
    return rows


def test_revoke_token_ends_it_in_every_service(platform, schedule, run_todo):
    created = run_todo("create-token", "import-bot", "--expires-in-days", "30")
    token = created.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"todo_[A-Za-z0-9_-]{40,}", token)
    assert {s: a[0] for s, a in token_answers(platform, schedule, token).items()} == {
        "schedule": 422,
        "registration": 200,
    }
    for rows in stored_tokens(platform, schedule, "import-bot").values():
        (row,) = rows
        assert row.expires_at - row.created_at == timedelta(days=30)

    revoked = run_todo("revoke-token", "import-bot")
    assert "revoked" in revoked.output
    for service, (status, message) in token_answers(platform, schedule, token).items():
        assert status == 401, service
        assert "Das Token wurde widerrufen." in message
    for rows in stored_tokens(platform, schedule, "import-bot").values():
        assert rows[0].revoked_at is not None
    again = run_todo("revoke-token", "import-bot", ok=False)
    assert "no unrevoked token called 'import-bot'" in again.output


def test_tokens_expire(platform, schedule, run_todo):
    token = run_todo("create-token", "import-bot").stdout.strip().splitlines()[-1]
    for service, rows in stored_tokens(platform, schedule, "import-bot").items():
        assert rows[0].expires_at - rows[0].created_at == timedelta(days=180), service
    assert token_answers(platform, schedule, token)["registration"][0] == 200
    dbs = {"schedule": schedule.db, **platform.dbs}
    for service, db in dbs.items():
        model = load_service(service).tokens
        with db.transaction() as session:
            session.execute(update(model).values(expires_at=utcnow() - timedelta(seconds=1)))
    for service, (status, message) in token_answers(platform, schedule, token).items():
        assert status == 401, service
        assert "abgelaufen" in message and "todo create-token" in message
    assert run_todo("create-token", "x", "--expires-in-days", "0", ok=False).exit_code == 2


# -- password guessing --------------------------------------------------------------------------


class Browser:
    """A visitor of one server: cookies kept, the login form's CSRF token at hand."""

    def __init__(self, url: str):
        self.url = url
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(), NoRedirects()
        )
        with self.opener.open(f"{url}/login", timeout=30) as page:
            self.csrf = CSRF.search(page.read().decode())[1]

    def guess(self, password: str) -> int:
        data = urlencode({"name": "erika", "password": password, "csrf_token": self.csrf})
        try:
            with self.opener.open(f"{self.url}/login", data.encode(), timeout=30) as answer:
                return answer.status
        except urllib.error.HTTPError as answer:
            return answer.code


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_args):
        return None


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
def test_the_login_limit_slides_over_the_minute_boundary(make_database, monkeypatch, backend):
    db = make_database("schedule", backend)
    # A second engine on the same database, as another worker would have.
    other = Database(db.url)
    limit = RateLimit("test", limit=10, period=60)
    clock = [6_000_000 + 59.9]  # just before a window ends
    monkeypatch.setattr(ratelimit.time, "time", lambda: clock[0])
    counters = [DatabaseCounters(db, RateCounter), DatabaseCounters(other, RateCounter)]
    hits = [limit.hit(counters[n % 2], "198.51.100.7") for n in range(10)]
    assert hits == [None] * 10
    clock[0] += 0.2  # a new window: the last one's hits still count almost fully
    assert limit.hit(counters[0], "198.51.100.7") is not None
    assert limit.hit(counters[0], "198.51.100.8") is None
    clock[0] += 30  # half of the last window lies within the last minute
    answers = [limit.hit(counters[1], "198.51.100.7") for _ in range(5)]
    assert answers == [None, None, None, None, 30]
    with db.transaction() as session:
        assert "198.51.100" not in str(session.execute(select(RateCounter.key)).all())
    other.dispose()


@pytest.mark.slow
def test_login_attempts_are_counted_across_processes(make_database, tmp_path, amqp_url):
    db = make_database("schedule")
    with db.transaction() as session:
        set_organiser_password(session, OrganiserAccount, "erika", PASSWORD)
    servers = []
    try:
        for _ in range(2):
            port = free_port()
            env = {
                **os.environ,
                "SCHEDULE_DATABASE_URL": db.url,
                "SCHEDULE_PORT": str(port),
                "WEB_WORKERS": "1",
                "WEB_THREADS": "2",
                "TODO_VAR_DIR": str(tmp_path / "var"),
                "AMQP_URL": amqp_url,
                "LOG_LEVEL": "WARNING",
            }
            process = subprocess.Popen(
                [sys.executable, "-m", "shared.cli", "serve", "schedule"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            servers.append((process, f"http://127.0.0.1:{port}"))
        for _process, url in servers:
            wait_until(lambda url=url: healthy(url), timeout=60, message=f"{url} up")
        browsers = [Browser(url) for _process, url in servers]
        # One guesser, spreading 40 attempts over two processes (as a load balancer would).
        answers = [browsers[n % 2].guess(f"guess {n}") for n in range(40)]
    finally:
        for process, _url in servers:
            process.terminate()
            process.wait(timeout=30)
    assert set(answers) <= {401, 429}, answers
    assert answers.count(401) <= 10, answers
    assert answers[:10] == [401] * 10


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.mark.parametrize("trusted_proxies", [0, 1])
def test_the_login_limit_counts_clients_behind_a_trusted_proxy_only(
    make_database, platform, trusted_proxies
):
    """Behind a trusted proxy each client has its own count; without one, a forged
    X-Forwarded-For does not buy a guesser new attempts."""
    db = make_database("schedule")
    app = load_service("schedule").create_app(
        platform.config.with_overrides(
            database_urls={**platform.config.database_urls, "schedule": db.url},
            trusted_proxies=trusted_proxies,
        )
    )
    client = app.test_client()
    csrf = CSRF.search(client.get("/login").text)[1]

    def guess(n: int, address: str) -> int:
        # A new account name each time, so only the per-address count can refuse.
        data = {"name": f"guess{n}", "password": "wrong password", "csrf_token": csrf}
        return client.post("/login", data=data, headers={"X-Forwarded-For": address}).status_code

    first = [guess(n, "203.0.113.1") for n in range(11)]
    assert first == [401] * 10 + [429]
    another_client = guess(11, "203.0.113.2")
    assert another_client == (401 if trusted_proxies else 429)
    app.extensions["todo_db"].dispose()
