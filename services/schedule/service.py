from pathlib import Path

from services.schedule.app import create_app
from services.schedule.commands import COMMANDS, load_bundled_programme
from services.schedule.models import (
    ApiToken,
    Base,
    OrganiserAccount,
    OrganiserSessionRevocation,
    OutboxMessage,
    ProcessedMessage,
)
from services.schedule.pages.commands import create_organiser_command, remove_organiser_command
from shared.service import ServiceSpec

SERVICE = ServiceSpec(
    name="schedule",
    package_dir=Path(__file__).parent,
    base=Base,
    outbox=OutboxMessage,
    processed=ProcessedMessage,
    tokens=ApiToken,
    revocations=OrganiserSessionRevocation,
    create_app=create_app,
    commands=(*COMMANDS, create_organiser_command, remove_organiser_command),
    bootstrap=load_bundled_programme,
    organiser_accounts=OrganiserAccount,
)
