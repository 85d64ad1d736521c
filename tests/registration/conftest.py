"""Factories for the registration tests: programme releases, registrations, apps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from services.registration.booking import register
from services.registration.models import ApiToken, Attendee, ProcessedMessage, Ticket
from services.registration.programme import release_handler
from services.registration.settings import Links, RegistrationSettings
from shared.auth import new_token, store_token
from shared.config import Config
from shared.consumer import handle_once
from shared.messages import build_envelope

EVENT = "todo2024"
# Far enough ahead that every session is in the future while the tests run.
DAY = (datetime.now(UTC) + timedelta(days=30)).replace(hour=8, minute=0, second=0, microsecond=0)
UNTHROTTLED = RegistrationSettings(
    rate_limit_per_ip="100000/minute", rate_limit_per_email="1000/minute"
)


@pytest.fixture
def links() -> Links:
    return Links("http://reg.test", "http://notify.test", "test-secret")


@pytest.fixture
def settings() -> RegistrationSettings:
    return UNTHROTTLED


def session_info(
    session_id: int,
    *,
    capacity: int | None = 40,
    mode: str = "required",
    status: str = "scheduled",
    starts_at: datetime | None = None,
    minutes: int = 60,
) -> dict:
    starts_at = starts_at or DAY + timedelta(hours=session_id)
    return {
        "id": session_id,
        "guid": f"guid-{session_id}",
        "title": f"Session {session_id}",
        "title_en": f"Session {session_id} (en)",
        "starts_at": starts_at.isoformat(),
        "ends_at": (starts_at + timedelta(minutes=minutes)).isoformat(),
        "stage": {"guid": "baseology", "name": "Baseology"},
        "registration": {"mode": mode, "capacity": capacity},
        "status": status,
    }


def release(number: int, sessions: list[dict], event: str = EVENT) -> dict:
    return {
        "event": {
            "slug": event,
            "title": "to:DO 2024",
            "timezone": "Europe/Berlin",
            "starts_on": DAY.date().isoformat(),
            "ends_on": (DAY.date() + timedelta(days=4)).isoformat(),
        },
        "release": {"number": number, "published_at": datetime.now(UTC).isoformat()},
        "sessions": sessions,
    }


def ticket_of(db, email: str, session_id: int) -> Ticket:
    """The ticket of the attendee with `email` for the session, detached."""
    with db.transaction() as session:
        ticket = session.scalars(
            select(Ticket)
            .join(Attendee)
            .where(Attendee.email == email, Ticket.session_id == session_id)
        ).one()
        session.expunge(ticket)
        return ticket


def manage_token(db, email: str) -> str:
    """The manage link's token of the attendee with `email`, as only their mail carries it."""
    with db.transaction() as session:
        return session.scalar(select(Attendee.manage_token).where(Attendee.email == email))


@pytest.fixture
def publish_release(links, settings):
    """publish_release(db, number, sessions) -> runs the consumer's handler like the runner."""

    def publish(db, number: int, sessions: list[dict], event: str = EVENT):
        envelope = build_envelope(
            "schedule.release.published", release(number, sessions, event), None
        )
        handler = release_handler(links, settings)
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
