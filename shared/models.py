"""The tables every service keeps beside its own, on one declarative base per service: the
outbox, the handled message ids, API tokens, ended organiser sessions, who owns each event and
the audit log."""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy.orm import DeclarativeBase

from shared.audit import AuditEntryMixin
from shared.auth import ApiTokenMixin
from shared.consumer import ProcessedMessageMixin
from shared.db import make_base
from shared.organisations import EventOwnerMixin
from shared.outbox import OutboxMixin
from shared.pages.organisers import SessionRevocationMixin


class ServiceTables(NamedTuple):
    Base: type[DeclarativeBase]
    OutboxMessage: type[OutboxMixin]
    ProcessedMessage: type[ProcessedMessageMixin]
    ApiToken: type[ApiTokenMixin]
    OrganiserSessionRevocation: type[SessionRevocationMixin]
    EventOwner: type[EventOwnerMixin]
    AuditEntry: type[AuditEntryMixin]


def service_tables(module: str) -> ServiceTables:
    """A new declarative base with the common tables mapped on it; `module` is where they are
    said to live (the service's `models.base`)."""
    base = make_base()

    def table(name: str, mixin: type) -> type:
        return type(name, (mixin, base), {"__module__": module})

    return ServiceTables(
        base,
        table("OutboxMessage", OutboxMixin),
        table("ProcessedMessage", ProcessedMessageMixin),
        table("ApiToken", ApiTokenMixin),
        table("OrganiserSessionRevocation", SessionRevocationMixin),
        table("EventOwner", EventOwnerMixin),
        table("AuditEntry", AuditEntryMixin),
    )
