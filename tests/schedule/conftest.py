"""Factories for the schedule tests: databases, apps, organiser tokens, events and programmes."""

from __future__ import annotations

import copy
import uuid

import pytest

from services.schedule.importer import import_programme
from services.schedule.models import ApiToken
from services.schedule.programme_format import load_programme_document
from services.schedule.releases import publish_release
from shared.auth import new_token, store_token
from tests.support.schedule import make_document


@pytest.fixture(params=["postgresql", "sqlite"])
def any_schedule_db(request, make_database):
    """The schedule database on PostgreSQL and on SQLite (where datetimes come back naive)."""
    return make_database("schedule", request.param)


@pytest.fixture
def document():
    """A fresh copy of the test programme document to change at will."""
    return copy.deepcopy(make_document())


@pytest.fixture
def import_document():
    def load(session, document: dict, slug: str | None = None):
        return import_programme(session, load_programme_document(document), slug)

    return load


@pytest.fixture
def published_event(schedule_db, document, import_document):
    """The test programme imported and published as release 1; returns the event's slug."""
    with schedule_db.transaction() as session:
        event = import_document(session, document).event
        publish_release(session, event, "erste Fassung")
    return document["event"]["slug"]


@pytest.fixture
def schedule_app(schedule_db, make_config):
    from services.schedule.app import create_app

    return create_app(make_config(schedule_db=schedule_db))


@pytest.fixture
def client(schedule_app):
    return schedule_app.test_client()


@pytest.fixture
def organiser_headers(schedule_db):
    token = new_token()
    with schedule_db.transaction() as session:
        store_token(session, ApiToken, f"test-{uuid.uuid4().hex[:6]}", token)
    return {"Authorization": f"Bearer {token}"}
