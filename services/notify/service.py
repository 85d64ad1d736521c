from pathlib import Path

from services.notify.models import (
    ApiToken,
    Base,
    EventOwner,
    OrganiserSessionRevocation,
    OutboxMessage,
    ProcessedMessage,
)
from services.notify.settings import NotifySettings
from shared.service import ServiceSpec

SERVICE = ServiceSpec(
    name="notify",
    package_dir=Path(__file__).parent,
    base=Base,
    outbox=OutboxMessage,
    processed=ProcessedMessage,
    tokens=ApiToken,
    revocations=OrganiserSessionRevocation,
    event_owners=EventOwner,
    app_factory="services.notify.app:create_app",
    handlers_module="services.notify.handlers",
    commands={
        "send-mail": "services.notify.commands:send_mail",
        "send-reminders": "services.notify.commands:send_reminders",
    },
    workers={"mail": ("send-mail",), "reminders": ("send-reminders",)},
    worker_processes=lambda env: {"mail": NotifySettings.from_env(dict(env)).mail_processes},
)
