"""The notify service's tables; importing this package registers every model on `Base`."""

from services.notify.models.base import ApiToken, Base, OutboxMessage, ProcessedMessage

__all__ = ["ApiToken", "Base", "OutboxMessage", "ProcessedMessage"]
