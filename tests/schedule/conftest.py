"""Factories for the schedule tests: databases, apps, organiser tokens, events and programmes."""

from __future__ import annotations

import copy
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.schedule.importer import import_programme
from services.schedule.models import ApiToken
from services.schedule.programme_format import load_programme_document
from services.schedule.releases import publish_release
from shared.auth import new_token, store_token

BERLIN = ZoneInfo("Europe/Berlin")
MAIN_STAGE = "stage-main"
SIDE_STAGE = "stage-side"


def berlin(text: str) -> datetime:
    """`berlin("2024-04-29 14:30")` -> that wall-clock time in Europe/Berlin (aware)."""
    return datetime.fromisoformat(text).replace(tzinfo=BERLIN)


@pytest.fixture(params=["postgresql", "sqlite"])
def any_schedule_db(request, make_database):
    """The schedule database on PostgreSQL and on SQLite (where datetimes come back naive)."""
    return make_database("schedule", request.param)


def make_document(sessions: list[dict] | None = None, slug: str = "testweek") -> dict:
    """A programme document (todo-programme/1) with two stages, two tracks and `sessions`."""
    return {
        "format": "todo-programme/1",
        "event": {
            "slug": slug,
            "title": "Testwoche",
            "timezone": "Europe/Berlin",
            "starts_on": "2024-04-29",
            "ends_on": "2024-05-03",
            "address": "Kampstraße 1, 44137 Dortmund",
        },
        "stages": [
            {
                "guid": MAIN_STAGE,
                "name": "Baseology",
                "capacity": 40,
                "stream_url": "https://stream.example/main",
            },
            {"guid": SIDE_STAGE, "name": "planQ", "address": "Prinzenstraße 11", "capacity": None},
        ],
        "tracks": [
            {"slug": "demografie", "name": "Demografie", "color": "#e4572e"},
            {"slug": "digitalisierung", "name": "Digitalisierung", "color": "#2e86ab"},
        ],
        "sessions": sessions if sessions is not None else default_sessions(),
    }


def session_item(guid: str, start: str, minutes: int = 60, stage: str = MAIN_STAGE, **extra):
    starts_at = berlin(start)
    return {
        "guid": guid,
        "title": extra.pop("title", f"Session {guid}"),
        "stage": stage,
        "starts_at": starts_at.isoformat(),
        "ends_at": (starts_at + timedelta(minutes=minutes)).astimezone(BERLIN).isoformat(),
        "registration": extra.pop("registration", {"mode": "required"}),
        **extra,
    }


def default_sessions() -> list[dict]:
    return [
        session_item(
            "opening",
            "2024-04-29 13:00",
            90,
            tracks=["demografie"],
            speakers=[{"name": "Thomas Westphal", "organisation": "Stadt Dortmund", "role": "OB"}],
            streamed=True,
        ),
        session_item("bridges", "2024-04-29 14:30", 60, tracks=["demografie"], streamed=True),
        session_item("care", "2024-04-29 15:30", 60),
        session_item(
            "info",
            "2024-04-29 10:00",
            120,
            stage=SIDE_STAGE,
            registration={"mode": "none"},
        ),
    ]


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
