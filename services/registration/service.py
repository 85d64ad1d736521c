from pathlib import Path

from services.registration import handlers
from services.registration.app import create_app
from services.registration.models import (
    ApiToken,
    Base,
    EventOwner,
    OrganiserSessionRevocation,
    OutboxMessage,
    ProcessedMessage,
)
from services.registration.sweeper import purge_command, sweep_command
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
    create_app=create_app,
    handlers=handlers.HANDLERS,
    handler_dependencies=handlers.dependencies,
    commands=(sweep_command, purge_command),
    workers={"sweeper": ("sweep-registrations",)},
)
