from pathlib import Path

from services.registration.app import create_app
from services.registration.models import ApiToken, Base, OutboxMessage, ProcessedMessage
from shared.service import ServiceSpec

SERVICE = ServiceSpec(
    name="registration",
    package_dir=Path(__file__).parent,
    base=Base,
    outbox=OutboxMessage,
    processed=ProcessedMessage,
    tokens=ApiToken,
    create_app=create_app,
)
