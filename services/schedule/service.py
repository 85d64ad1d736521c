from pathlib import Path

from services.schedule.models import (
    ApiToken,
    Base,
    EventOwner,
    OrganiserAccount,
    OrganiserSessionRevocation,
    OutboxMessage,
    ProcessedMessage,
)
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
    app_factory="services.schedule.app:create_app",
    handlers_module="services.schedule.handlers",
    commands={
        "create-organisation": "services.schedule.commands:create_organisation_command",
        "import-programme": "services.schedule.commands:import_programme_command",
        "publish": "services.schedule.commands:publish_command",
        "export-programme": "services.schedule.commands:export_programme_command",
        "create-organiser": "services.schedule.pages.commands:create_organiser_command",
        "remove-organiser": "services.schedule.pages.commands:remove_organiser_command",
    },
    bootstrap="services.schedule.commands:load_bundled_programme",
    organiser_accounts=OrganiserAccount,
    membership_check="services.schedule.organisations:check_membership",
)
