from shared.models import service_tables
from shared.ratelimit import RateCounterMixin

(
    Base,
    OutboxMessage,
    ProcessedMessage,
    ApiToken,
    OrganiserSessionRevocation,
    EventOwner,
    AuditEntry,
) = service_tables(__name__)


class RateCounter(RateCounterMixin, Base):
    pass
