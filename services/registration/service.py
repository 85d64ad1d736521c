from pathlib import Path

from services.registration.models import (
    ApiToken,
    Base,
    EventOwner,
    OrganiserSessionRevocation,
    OutboxMessage,
    ProcessedMessage,
)
from shared.service import ServiceSpec

SERVICE = ServiceSpec(
    name="registration",
    package_dir=Path(__file__).parent,
    base=Base,
    outbox=OutboxMessage,
    processed=ProcessedMessage,
    tokens=ApiToken,
    revocations=OrganiserSessionRevocation,
    event_owners=EventOwner,
    app_factory="services.registration.app:create_app",
    handlers_module="services.registration.handlers",
    commands={
        "sweep-registrations": "services.registration.sweeper:sweep_command",
        "purge-personal-data": "services.registration.sweeper:purge_command",
    },
    workers={"sweeper": ("sweep-registrations",)},
)
