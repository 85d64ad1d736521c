from shared.auth import ApiTokenMixin
from shared.consumer import ProcessedMessageMixin
from shared.db import make_base
from shared.outbox import OutboxMixin
from shared.pages.organisers import SessionRevocationMixin
from shared.ratelimit import RateCounterMixin

Base = make_base()


class OutboxMessage(OutboxMixin, Base):
    pass


class ProcessedMessage(ProcessedMessageMixin, Base):
    pass


class ApiToken(ApiTokenMixin, Base):
    pass


class OrganiserSessionRevocation(SessionRevocationMixin, Base):
    pass


class RateCounter(RateCounterMixin, Base):
    pass
