"""Factories for the registration tests: programme releases, registrations, apps."""

from __future__ import annotations

from functools import partial

import pytest

from services.registration.booking import register
from services.registration.handlers import Dependencies, on_release
from services.registration.models import ApiToken, ProcessedMessage
from services.registration.settings import Links, RegistrationSettings
from shared.auth import new_token, store_token
from shared.config import Config
from shared.consumer import handle_once
from shared.messages import build_envelope
from tests.support.registration import EVENT, UNTHROTTLED, release


@pytest.fixture
def links() -> Links:
    return Links("http://reg.test", "http://notify.test", "test-secret")


@pytest.fixture
def settings() -> RegistrationSettings:
    return UNTHROTTLED


@pytest.fixture
def publish_release(links, settings):
    """publish_release(db, number, sessions) -> runs the consumer's handler like the runner."""

    def publish(db, number: int, sessions: list[dict], event: str = EVENT):
        envelope = build_envelope(
            "schedule.release.published", release(number, sessions, event), None
        )
        handler = partial(on_release, deps=Dependencies(links, settings))
        return handle_once(db, ProcessedMessage, "registration.programme", envelope, handler)

    return publish


@pytest.fixture
def register_one(links, settings):
    """register_one(db, email, sessions) -> RegistrationResult, in its own transaction."""

    def register_(db, email: str, sessions: list[int], *, name: str = "Erika Muster", locale="de"):
        with db.transaction() as session:
            return register(
                session,
                EVENT,
                name=name,
                email=email,
                session_ids=sessions,
                locale=locale,
                links=links,
                settings=settings,
            )

    return register_


@pytest.fixture
def organiser_token():
    """organiser_token(db) -> a valid organiser bearer token stored in db."""

    def make(db) -> str:
        token = new_token()
        with db.transaction() as session:
            store_token(session, ApiToken, "test", token)
        return token

    return make


@pytest.fixture
def make_app(tmp_path):
    """make_app(db, settings) -> the registration app on db; it needs no broker."""

    def make(db, settings: RegistrationSettings = UNTHROTTLED):
        from services.registration.app import create_app

        config = Config.from_env(
            {"TODO_VAR_DIR": str(tmp_path / "var"), "TODO_TESTING": "1"}
        ).with_overrides(testing=True)
        urls = {**config.database_urls, "registration": db.url}
        return create_app(config.with_overrides(database_urls=urls), settings)

    return make
