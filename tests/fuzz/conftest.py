"""Each service's app with a migrated PostgreSQL database, some published data and an organiser
token, for schemathesis to fuzz through its OpenAPI document (in process, WSGI)."""

from __future__ import annotations

import contextlib
import json
import os
from collections import Counter

import pytest
import schemathesis

from harness.infra import create_pg_database, drop_pg_database, migrated_database
from shared.auth import new_token, store_token
from shared.config import Config
from shared.service import load_service

REQUESTS: Counter = Counter()
EVENTS = {"schedule": "bench", "registration": "rush", "notify": "bench"}


def seed_schedule(db) -> None:
    from bench.schedule_reads import generated_programme
    from services.schedule.draft import find_event
    from services.schedule.importer import import_programme
    from services.schedule.programme_format import load_programme_document
    from services.schedule.releases import publish_release

    with db.transaction() as session:
        import_programme(session, load_programme_document(generated_programme(12)))
        publish_release(session, find_event(session, "bench"), "fuzz")


def seed_registration(db) -> None:
    from bench.registration_rush import load_programme

    load_programme(db, 40)


def deliver_to_notify(db, config, queue_name: str, type_name: str, data: dict) -> None:
    """Hand one message to notify's handler for it, as its consumer would."""
    from services.notify.handlers import HANDLERS, dependencies
    from services.notify.models import ProcessedMessage
    from services.notify.settings import NotifySettings
    from shared.consumer import bind_handlers, handle_once
    from shared.messages import build_envelope, parse_envelope

    handlers = bind_handlers(HANDLERS, dependencies(config, NotifySettings()))
    spec = next(s for s in handlers if s.name == queue_name)
    envelope = parse_envelope(build_envelope(type_name, data, None).to_json())
    handle_once(db, ProcessedMessage, spec.name, envelope, handlers[spec][type_name])


def seed_notify(db, config) -> None:
    from bench.notify_feed import programme
    from bench.notify_move import ticket

    deliver_to_notify(db, config, "notify.programme", "schedule.release.published", programme(6))
    deliver_to_notify(db, config, "notify.tickets", "registration.ticket.confirmed", ticket(1))


@pytest.fixture(scope="session")
def fuzz_counts():
    yield REQUESTS
    report = os.environ.get("FUZZ_REPORT")
    if report:
        with open(report, "w") as out:
            json.dump(dict(REQUESTS), out)


@contextlib.contextmanager
def make_target(service: str, amqp_url: str, tmp_path_factory):
    """(app, organiser token, event slug) of `service` on a fresh, seeded PostgreSQL database."""
    url = create_pg_database(f"fz_{service}")
    db = migrated_database(service, url)
    config = Config.from_env(
        {"TODO_VAR_DIR": str(tmp_path_factory.mktemp("var")), "TODO_TESTING": "1"}
    ).with_overrides(database_urls={service: url}, amqp_url=amqp_url, testing=True, smtp_url="")
    {
        "schedule": lambda: seed_schedule(db),
        "registration": lambda: seed_registration(db),
        "notify": lambda: seed_notify(db, config),
    }[service]()
    token = new_token()
    with db.transaction() as session:
        store_token(session, load_service(service).tokens, "fuzz", token)
    app = load_service(service).create_app(config)
    try:
        yield app, token, EVENTS[service]
    finally:
        app.extensions["todo_db"].dispose()
        db.dispose()
        drop_pg_database(url)


@pytest.fixture(scope="module")
def fuzz_target(request, amqp_url, tmp_path_factory):
    """(app, organiser token, event slug) of the service named by the module's SERVICE."""
    with make_target(request.module.SERVICE, amqp_url, tmp_path_factory) as target:
        yield target


@pytest.fixture(scope="module")
def api_schema(fuzz_target):
    app, _token, _event = fuzz_target
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


def examples(operations: int) -> int:
    """Generated positive cases per API operation (and half as many negative and odd ones): a few
    in `make test`; `python -m drills fuzz` sets FUZZ_REQUESTS_PER_SERVICE and the cases are
    spread over the service's operations and the three modes."""
    per_service = int(os.environ.get("FUZZ_REQUESTS_PER_SERVICE", "0"))
    if per_service:
        return -(-per_service // (2 * operations)) + 5
    return int(os.environ.get("FUZZ_MAX_EXAMPLES", "8"))
