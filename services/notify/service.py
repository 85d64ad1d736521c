from pathlib import Path

from services.notify.app import create_app
from services.notify.commands import send_mail, send_reminders
from services.notify.handlers import build_handlers
from services.notify.models import (
    ApiToken,
    Base,
    OrganiserSessionRevocation,
    OutboxMessage,
    ProcessedMessage,
)
from services.notify.settings import NotifySettings
from shared.config import Config
from shared.pages.organisers import revocation_handler
from shared.service import ServiceSpec
from shared.topology import queue


def handlers(config: Config):
    return {
        **build_handlers(config),
        queue("notify.organisers"): {
            "schedule.organiser.sessions_revoked": revocation_handler(OrganiserSessionRevocation)
        },
    }


SERVICE = ServiceSpec(
    name="notify",
    package_dir=Path(__file__).parent,
    base=Base,
    outbox=OutboxMessage,
    processed=ProcessedMessage,
    tokens=ApiToken,
    revocations=OrganiserSessionRevocation,
    create_app=create_app,
    handlers=handlers,
    commands=(send_mail, send_reminders),
    workers={"mail": ("send-mail",), "reminders": ("send-reminders",)},
    worker_processes=lambda env: {"mail": NotifySettings.from_env(dict(env)).mail_processes},
)
