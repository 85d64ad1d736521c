"""The transactional outbox: messages are rows written in the same transaction as the change.

`OutboxMixin` gives a service its `outbox` table; `add_message` validates a message and adds its
row to the caller's session (the caller commits). The relay (`shared.relay`) publishes the rows
and, after the retention period, deletes them (`prune_published`).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from datetime import datetime
from typing import Any

import psycopg
from sqlalchemy import Index, Integer, String, Text, delete, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, declared_attr, mapped_column

from shared.db import UTCDateTime, direct_connection, utcnow
from shared.logging import current_correlation_id
from shared.messages import build_envelope

log = logging.getLogger(__name__)


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
    """Add a validated message to the outbox in the caller's transaction.

    The row is inserted at once (a Core insert: the ORM's unit of work cost more than all the
    rest of a registration's SQL); the returned model instance only carries its values.
    """
    envelope = build_envelope(type_name, data, current_correlation_id())
    values = {
        "message_id": envelope.id,
        "routing_key": envelope.type,
        "aggregate": aggregate,
        "body": envelope.to_json(),
        "created_at": envelope.occurred_at,
        "attempts": 0,
    }
    session.execute(outbox_model.__table__.insert(), values)
    notify_after_commit(session, notify_channel(outbox_model.__tablename__))
    return outbox_model(**values)


def prune_published(session: Session, outbox_model: type[OutboxMixin], before: datetime) -> int:
    """Delete the rows published before `before`; returns how many.

    A published row is never read again (the relay only takes unpublished rows, and order only
    depends on those), but its body holds names, addresses and links: it must not outlive the
    retention period. Unpublished rows stay, however old.
    """
    result = session.execute(
        delete(outbox_model)
        .where(outbox_model.published_at < before)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def notify_after_commit(session: Session, channel: str) -> None:
    """On PostgreSQL, `NOTIFY channel` once this transaction has committed (see `_RelayWaker`:
    never inside it); a rollback sends nothing. SQLite listeners poll instead."""
    session.info.setdefault(_PENDING_NOTIFY, set()).add(channel)


_PENDING_NOTIFY = "outbox_channels_to_notify"
# A burst of commits shares one NOTIFY; a relay hears of a committed row at most this late.
WAKE_COALESCE_SECONDS = 0.005
# The waker's connection closes after this long without a commit to announce.
WAKE_IDLE_SECONDS = 2.0


class _RelayWaker:
    """NOTIFYs the relays after commits, from one connection of its own per database and process.

    NOTIFY inside the writing transaction takes a database-wide lock at commit and holds it
    across the commit's disk flush, so transactions that notify commit one after another, one
    flush each (pgbench, seat transaction at 16 clients: 690/s without, 255/s with NOTIFY).
    Sent after the commit instead, in a transaction that waits for no flush (a notification is
    not data), writers share their flushes and a burst of commits shares one NOTIFY. No
    wake-up is lost: a commit sets `pending` once its rows are visible, and the thread clears
    `pending` before it notifies.
    """

    def __init__(self, engine: Engine):
        self.engine = engine
        self.lock = threading.Lock()
        self.pending = threading.Event()
        self.channels: set[str] = set()
        self.thread: threading.Thread | None = None

    def wake(self, channels: set[str]) -> None:
        with self.lock:
            self.channels |= channels
            # Set under the lock, so an idle thread that is about to exit sees it.
            self.pending.set()
            if self.thread is None:
                self.thread = threading.Thread(target=self._run, name="outbox-waker", daemon=True)
                self.thread.start()

    def _run(self) -> None:
        connection = None
        try:
            while True:
                if not self.pending.wait(WAKE_IDLE_SECONDS):
                    with self.lock:
                        if not self.pending.is_set():
                            self.thread = None
                            return
                self.pending.clear()
                with self.lock:
                    channels, self.channels = self.channels, set()
                try:
                    if connection is None:
                        connection = direct_connection(self.engine)
                        connection.execute("SET synchronous_commit TO off")
                    for channel in sorted(channels):
                        connection.execute("SELECT pg_notify(%s, '')", (channel,))
                except psycopg.Error as exc:
                    # The relays poll as well; a lost wake-up only delays publishing.
                    log.warning("waking the outbox relays failed: %s", exc)
                    if connection is not None:
                        connection.close()
                    connection = None
                time.sleep(WAKE_COALESCE_SECONDS)
        finally:
            if connection is not None:
                connection.close()


_wakers: dict[str, _RelayWaker] = {}
_wakers_lock = threading.Lock()


def _waker(engine) -> _RelayWaker:
    key = engine.url.render_as_string(hide_password=False)
    with _wakers_lock:
        if key not in _wakers:
            _wakers[key] = _RelayWaker(engine)
        return _wakers[key]


def _forget_wakers_after_fork() -> None:
    # A forked child has none of the parent's threads; it starts its own when it commits.
    global _wakers_lock
    _wakers.clear()
    _wakers_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_wakers_after_fork)


@event.listens_for(Session, "after_commit")
def _notify_relays(session: Session) -> None:
    """Wake the relays (and other listeners) once the transaction's rows are committed."""
    channels = session.info.pop(_PENDING_NOTIFY, None)
    if not channels:
        return
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        _waker(bind.engine).wake(channels)


@event.listens_for(Session, "after_rollback")
def _forget_notifications(session: Session) -> None:
    session.info.pop(_PENDING_NOTIFY, None)
