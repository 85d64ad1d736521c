"""The schedule service's tables; importing this package registers every model on `Base`."""

from services.schedule.models.base import ApiToken, Base, OutboxMessage, ProcessedMessage

__all__ = ["ApiToken", "Base", "OutboxMessage", "ProcessedMessage"]
