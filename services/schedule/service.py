from pathlib import Path

from services.schedule import handlers
from services.schedule.app import create_app
from services.schedule.commands import COMMANDS, load_bundled_programme
from services.schedule.models import (
    ApiToken,
    Base,
    EventOwner,
    OrganiserAccount,
    OrganiserSessionRevocation,
    OutboxMessage,
    ProcessedMessage,
)
from services.schedule.organisations import check_membership
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
    event_owners=EventOwner,
    create_app=create_app,
    handlers=handlers.HANDLERS,
    commands=(*COMMANDS, create_organiser_command, remove_organiser_command),
    bootstrap=load_bundled_programme,
    organiser_accounts=OrganiserAccount,
    check_membership=check_membership,
)
