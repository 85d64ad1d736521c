"""The transactional outbox: messages are rows written in the same transaction as the change.

`OutboxMixin` gives a service its `outbox` table; `add_message` validates a message and adds its
row to the caller's session (the caller commits). The relay (`shared.relay`) publishes the rows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Integer, String, Text, event, text
from sqlalchemy.orm import Mapped, Session, declared_attr, mapped_column

from shared.db import UTCDateTime, utcnow
from shared.logging import current_correlation_id
from shared.messages import build_envelope


def notify_channel(table_name: str) -> str:
    return f"{table_name}_ready"


class OutboxMixin:
    """Columns of an outbox table. `aggregate` keys the per-aggregate publishing order."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_id: Mapped[str] = mapped_column(String(36), unique=True)
    routing_key: Mapped[str] = mapped_column(String(120))
    aggregate: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)

    @declared_attr.directive
    def __table_args__(cls):
        return (
            Index(
                "ix_outbox_unpublished",
                "aggregate",
                "id",
                postgresql_where=text("published_at IS NULL"),
                sqlite_where=text("published_at IS NULL"),
            ),
        )


def add_message(
    session: Session,
    outbox_model: type[OutboxMixin],
    type_name: str,
    data: dict[str, Any],
    *,
    aggregate: str,
) -> OutboxMixin:
    """Add a validated message to the outbox in the caller's transaction."""
    envelope = build_envelope(type_name, data, current_correlation_id())
    row = outbox_model(
        message_id=envelope.id,
        routing_key=envelope.type,
        aggregate=aggregate,
        body=envelope.to_json(),
        created_at=envelope.occurred_at,
    )
    session.add(row)
    session.info.setdefault(_PENDING_NOTIFY, set()).add(notify_channel(outbox_model.__tablename__))
    return row


_PENDING_NOTIFY = "outbox_channels_to_notify"


@event.listens_for(Session, "before_commit")
def _notify_relays(session: Session) -> None:
    """Wake the relays once per transaction; NOTIFY is delivered at commit, with the rows."""
    channels = session.info.pop(_PENDING_NOTIFY, None)
    if channels and session.get_bind().dialect.name == "postgresql":
        for channel in channels:
            session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": channel})


@event.listens_for(Session, "after_rollback")
def _forget_notifications(session: Session) -> None:
    session.info.pop(_PENDING_NOTIFY, None)
