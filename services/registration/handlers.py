"""Message handlers of the registration service: plain functions from envelopes to domain
functions, and the table of which queue and routing key each one handles."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from services.registration.programme import apply_release
from services.registration.settings import Links, RegistrationSettings
from shared.config import Config
from shared.messages import Envelope


@dataclass(frozen=True)
class Dependencies:
    """What registration's handlers need besides the database session; built once per process."""

    links: Links
    settings: RegistrationSettings


def dependencies(config: Config, settings: RegistrationSettings | None = None) -> Dependencies:
    return Dependencies(
        links=Links.from_config(config), settings=settings or RegistrationSettings.from_env()
    )


def on_release(session: Session, envelope: Envelope, deps: Dependencies) -> None:
    apply_release(session, envelope.data, deps.links, deps.settings)


HANDLERS = {
    "registration.programme": {"schedule.release.published": on_release},
}
