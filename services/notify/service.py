from pathlib import Path

from services.notify import handlers
from services.notify.app import create_app
from services.notify.commands import send_mail, send_reminders
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
    create_app=create_app,
    handlers=handlers.HANDLERS,
    handler_dependencies=handlers.dependencies,
    commands=(send_mail, send_reminders),
    workers={"mail": ("send-mail",), "reminders": ("send-reminders",)},
    worker_processes=lambda env: {"mail": NotifySettings.from_env(dict(env)).mail_processes},
)
