from pathlib import Path

from services.registration.app import create_app
from services.registration.models import (
    ApiToken,
    Base,
    OrganiserSessionRevocation,
    OutboxMessage,
    ProcessedMessage,
)
from services.registration.programme import release_handler
from services.registration.settings import Links, RegistrationSettings
from services.registration.sweeper import purge_command, sweep_command
from shared.config import Config
from shared.pages.organisers import revocation_handler
from shared.service import ServiceSpec
from shared.topology import queue


def handlers(config: Config):
    handle = release_handler(Links.from_config(config), RegistrationSettings.from_env())
    return {
        queue("registration.programme"): {"schedule.release.published": handle},
        queue("registration.organisers"): {
            "schedule.organiser.sessions_revoked": revocation_handler(OrganiserSessionRevocation)
        },
    }


SERVICE = ServiceSpec(
    name="registration",
    package_dir=Path(__file__).parent,
    base=Base,
    outbox=OutboxMessage,
    processed=ProcessedMessage,
    tokens=ApiToken,
    revocations=OrganiserSessionRevocation,
    create_app=create_app,
    handlers=handlers,
    commands=(sweep_command, purge_command),
    workers={"sweeper": ("sweep-registrations",)},
)
