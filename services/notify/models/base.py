from shared.models import service_tables

(
    Base,
    OutboxMessage,
    ProcessedMessage,
    ApiToken,
    OrganiserSessionRevocation,
    EventOwner,
    AuditEntry,
) = service_tables(__name__)
