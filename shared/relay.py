"""The outbox relay: publishes outbox rows to RabbitMQ and marks them published.

A batch of rows is locked, published persistent (and `mandatory` where a queue of the topology
is meant to receive the type) on a channel with publisher confirms, and marked published in the same transaction once the broker has confirmed every
message of the batch. Confirms are collected asynchronously (pika's SelectConnection), so the
broker can write a whole batch to disk at once instead of one message per disk flush. A crash,
a negative confirm or a lost broker before the commit leaves the rows to be published again
(consumers drop duplicates by message id).

Two relays may run at once: rows are locked with SKIP LOCKED on PostgreSQL (SQLite has a single
writer anyway), and a row is only published when no earlier row of its aggregate is still
waiting, so each aggregate's messages keep their order. The relay wakes on PostgreSQL's
LISTEN/NOTIFY (the socket is watched by the same event loop) or, on SQLite, polls. Every
`PRUNE_INTERVAL_SECONDS` it deletes the rows published longer ago than the retention period.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta

import pika
import pika.exceptions
import psycopg
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from shared.broker import Backoff, connect, declare_topology, node_parameters
from shared.db import DATABASE_UNAVAILABLE, Database, direct_connection, utcnow
from shared.messages import EXCHANGE
from shared.outbox import OutboxMixin, notify_channel, prune_published
from shared.topology import QUEUES, QueueSpec

log = logging.getLogger(__name__)

BROKER_ERRORS = (pika.exceptions.AMQPError, OSError)
CONFIRM_TIMEOUT_SECONDS = 30
PRUNE_INTERVAL_SECONDS = 600


class BrokerLost(Exception):
    """The connection or channel closed while the relay was running."""


@dataclass
class Batch:
    session: Session
    rows: list[OutboxMixin]
    unconfirmed: set[int] = field(default_factory=set)
    returned: set[str] = field(default_factory=set)
    nacked: bool = False


def _discard(session: Session) -> None:
    """Roll back and close; with the database gone the rollback fails too, which is fine."""
    try:
        session.rollback()
    except DATABASE_UNAVAILABLE as exc:
        log.warning("rollback failed (%s); the connection is dropped", exc)
    finally:
        session.close()


class OutboxRelay:
    def __init__(
        self,
        db: Database,
        outbox_model: type[OutboxMixin],
        amqp_url: str,
        *,
        batch_size: int = 200,
        poll_seconds: float = 0.1,
        listen_timeout: float = 1.0,
        queues: tuple[QueueSpec, ...] = QUEUES,
        queue_type: str = "classic",
        batch_interval: float = 0.0,
        retention: timedelta = timedelta(days=7),
    ):
        self.db = db
        self.outbox = outbox_model
        self.amqp_url = amqp_url
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.listen_timeout = listen_timeout
        self.queues = queues
        self.queue_type = queue_type
        # At most one batch starts per interval: each batch costs a few milliseconds of CPU
        # whatever its size, and under a steady stream of commits every NOTIFY would otherwise
        # start a batch of one. After a quiet spell the first message still goes at once.
        self.batch_interval = batch_interval
        self.retention = retention
        self._last_batch_at = float("-inf")
        # Types no queue subscribes to yet (notify.mail.sent, ...) are published for whoever
        # binds later; for the others, a return means the topology is broken.
        self.subscribed_types = {key for spec in queues for key in spec.routing_keys}
        self.stop_event = threading.Event()
        self._connection: pika.SelectConnection | None = None
        self._channel = None
        self._listener: psycopg.Connection | None = None
        self._batch: Batch | None = None
        self._next_tag = 0
        self._pump_timer = None
        self._failure: Exception | None = None
        self._nodes = node_parameters(amqp_url)
        self._node = -1

    # -- lifecycle --------------------------------------------------------------------------

    def run(self) -> None:
        backoff = Backoff()
        while not self.stop_event.is_set():
            try:
                self._declare_topology()
                self._run_connection()
                backoff.reset()
            except (BrokerLost, *BROKER_ERRORS, *DATABASE_UNAVAILABLE) as exc:
                if self.stop_event.is_set():
                    break
                delay = backoff.next()
                log.warning("broker or database unavailable (%s); retrying in %.1f s", exc, delay)
                self.stop_event.wait(delay)
        self._close_listener()
        log.info("relay stopped")

    def stop(self) -> None:
        """Stop after the batch in flight; safe to call from any thread or a signal handler."""
        self.stop_event.set()
        connection = self._connection
        if connection is not None:
            try:
                connection.ioloop.add_callback_threadsafe(self._shutdown_if_idle)
            except Exception:  # the loop has already gone
                log.debug("relay loop already stopped", exc_info=True)

    def _declare_topology(self) -> None:
        connection = connect(self.amqp_url)
        try:
            declare_topology(connection.channel(), self.queues, self.queue_type)
        finally:
            connection.close()

    def _run_connection(self) -> None:
        self._failure = None
        self._next_tag = 0
        # Another node on each attempt: after its node went away the relay goes on at the next.
        self._node = (self._node + 1) % len(self._nodes)
        self._connection = pika.SelectConnection(
            self._nodes[self._node],
            on_open_callback=self._on_connection_open,
            on_open_error_callback=self._on_connection_failed,
            on_close_callback=self._on_connection_closed,
        )
        try:
            self._connection.ioloop.start()
        finally:
            self._abandon_batch()
            self._unwatch_listener()
            self._connection = None
            self._channel = None
        if self._failure is not None and not self.stop_event.is_set():
            raise BrokerLost(str(self._failure))

    def _on_connection_open(self, connection) -> None:
        connection.channel(on_open_callback=self._on_channel_open)

    def _on_connection_failed(self, connection, error) -> None:
        self._failure = error if isinstance(error, Exception) else BrokerLost(str(error))
        connection.ioloop.stop()

    def _on_connection_closed(self, connection, reason) -> None:
        if not self.stop_event.is_set():
            self._failure = reason
        connection.ioloop.stop()

    def _on_channel_open(self, channel) -> None:
        self._channel = channel
        channel.add_on_close_callback(self._on_channel_closed)
        channel.add_on_return_callback(self._on_return)
        channel.confirm_delivery(self._on_confirm, callback=self._on_confirm_mode)

    def _on_channel_closed(self, _channel, reason) -> None:
        self._channel = None
        if not self.stop_event.is_set():
            self._failure = reason
        if self._connection is not None and self._connection.is_open:
            self._connection.close()

    def _on_confirm_mode(self, _frame) -> None:
        log.info("relay connected to the broker")
        self._watch_listener()
        self._schedule_pump(0)
        self._prune()

    def _shutdown_if_idle(self) -> None:
        if self._batch is None and self._connection is not None and self._connection.is_open:
            self._connection.close()

    # -- batches ----------------------------------------------------------------------------

    def claim_batch(self, session: Session) -> list[OutboxMixin]:
        """Lock the next waiting rows whose aggregate has no earlier row waiting elsewhere."""
        model = self.outbox
        query = (
            select(model)
            .where(model.published_at.is_(None))
            .order_by(model.id)
            .limit(self.batch_size)
        )
        if not self.db.is_sqlite:
            query = query.with_for_update(skip_locked=True)
        rows = list(session.scalars(query))
        if not rows:
            return rows
        # An earlier waiting row that is not ours is locked by another relay: everything of that
        # aggregate from there on must wait until that relay has published it.
        ours = {row.id for row in rows}
        earliest_foreign: dict[str, int] = {}
        waiting = session.execute(
            select(model.aggregate, model.id).where(
                model.published_at.is_(None),
                model.aggregate.in_({row.aggregate for row in rows}),
                model.id < rows[-1].id,
            )
        )
        for aggregate, row_id in waiting:
            if row_id not in ours:
                earliest_foreign[aggregate] = min(row_id, earliest_foreign.get(aggregate, row_id))
        return [
            row
            for row in rows
            if row.aggregate not in earliest_foreign or row.id < earliest_foreign[row.aggregate]
        ]

    def _schedule_pump(self, delay: float) -> None:
        if self._connection is None:
            return
        if self._pump_timer is not None:
            self._connection.ioloop.remove_timeout(self._pump_timer)
        self._pump_timer = self._connection.ioloop.call_later(delay, self._pump)

    def _pump(self) -> None:
        self._pump_timer = None
        if self._batch is not None or self._channel is None:
            return
        if self.stop_event.is_set():
            self._shutdown_if_idle()
            return
        session = self.db.session()
        try:
            rows = self.claim_batch(session)
        except Exception:
            _discard(session)
            log.exception("reading the outbox failed; retrying")
            self._schedule_pump(1.0)
            return
        if not rows:
            _discard(session)
            self._schedule_pump(
                self.poll_seconds if self._listener is None else self.listen_timeout
            )
            return
        self._batch = Batch(session, rows)
        self._last_batch_at = time.monotonic()
        for row in rows:
            self._next_tag += 1
            self._batch.unconfirmed.add(self._next_tag)
            self._channel.basic_publish(
                EXCHANGE,
                row.routing_key,
                row.body.encode(),
                pika.BasicProperties(
                    content_type="application/json",
                    delivery_mode=pika.DeliveryMode.Persistent,
                    message_id=row.message_id,
                    type=row.routing_key,
                    timestamp=int(row.created_at.timestamp()),
                ),
                mandatory=row.routing_key in self.subscribed_types,
            )
        self._connection.ioloop.call_later(
            CONFIRM_TIMEOUT_SECONDS, self._confirm_timeout(self._batch)
        )

    def _on_return(self, _channel, _method, properties, _body) -> None:
        # The broker sends basic.return before the confirm of the same message.
        if self._batch is not None:
            self._batch.returned.add(properties.message_id)

    def _on_confirm(self, frame) -> None:
        batch = self._batch
        if batch is None:
            return
        method = frame.method
        tag = method.delivery_tag
        done = {t for t in batch.unconfirmed if t <= tag} if method.multiple else {tag}
        batch.unconfirmed -= done
        if isinstance(method, pika.spec.Basic.Nack):
            batch.nacked = True
        if not batch.unconfirmed:
            self._finish_batch()

    def _finish_batch(self) -> None:
        batch = self._batch
        self._batch = None
        try:
            if batch.nacked:
                log.warning("broker refused part of a batch; it will be published again")
                _discard(batch.session)
            else:
                self._mark_published(batch)
                batch.session.commit()
                batch.session.close()
        except Exception:
            log.exception("marking a batch published failed; it will be published again")
            _discard(batch.session)
        if self.stop_event.is_set():
            self._shutdown_if_idle()
        else:
            self._schedule_pump(1.0 if batch.nacked else self._until_next_batch())

    def _mark_published(self, batch: Batch) -> None:
        model = self.outbox
        now = utcnow()
        ids = [row.id for row in batch.rows]
        batch.session.execute(
            update(model)
            .where(model.id.in_(ids))
            .values(published_at=now, attempts=model.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        for row in batch.rows:
            if row.message_id in batch.returned:
                # Every consuming queue is declared before publishing, so nobody subscribes to
                # this type: keep a trace on the row instead of retrying forever.
                log.warning("message %s (%s) is unroutable", row.message_id, row.routing_key)
                batch.session.execute(
                    update(model)
                    .where(model.id == row.id)
                    .values(last_error="unroutable: no queue is bound to this routing key")
                    .execution_options(synchronize_session=False)
                )

    def _prune(self) -> None:
        try:
            with self.db.transaction() as session:
                pruned = prune_published(session, self.outbox, utcnow() - self.retention)
            if pruned:
                log.info("deleted %d outbox rows published over %s ago", pruned, self.retention)
        except Exception:
            log.exception("pruning the outbox failed; trying again later")
        if self._connection is not None:
            self._connection.ioloop.call_later(PRUNE_INTERVAL_SECONDS, self._prune)

    def _confirm_timeout(self, batch: Batch):
        def expire() -> None:
            if self._batch is batch and self._connection is not None:
                log.error(
                    "no confirms for %d messages in %d s; reconnecting",
                    len(batch.unconfirmed),
                    CONFIRM_TIMEOUT_SECONDS,
                )
                self._failure = BrokerLost("confirm timeout")
                self._connection.close()

        return expire

    def _abandon_batch(self) -> None:
        if self._batch is not None:
            _discard(self._batch.session)
            self._batch = None

    # -- waking up on PostgreSQL NOTIFY -----------------------------------------------------

    def _watch_listener(self) -> None:
        if self.db.is_sqlite:
            return
        try:
            if self._listener is None or self._listener.closed:
                self._listener = direct_connection(self.db.engine)
                channel = notify_channel(self.outbox.__tablename__)
                self._listener.execute(f'LISTEN "{channel}"')
            self._connection.ioloop.add_handler(
                self._listener.fileno(), self._on_notify, self._connection.ioloop.READ
            )
        except psycopg.Error as exc:
            log.warning("LISTEN failed (%s); polling instead", exc)
            self._close_listener()

    def _on_notify(self, _fd, _events) -> None:
        try:
            for _ in self._listener.notifies(timeout=0):
                pass
        except psycopg.Error as exc:
            log.warning("LISTEN connection lost (%s); polling instead", exc)
            self._unwatch_listener()
            self._close_listener()
        if self._batch is None:
            self._schedule_pump(self._until_next_batch())

    def _until_next_batch(self) -> float:
        return max(0.0, self._last_batch_at + self.batch_interval - time.monotonic())

    def _unwatch_listener(self) -> None:
        if self._listener is not None and not self._listener.closed and self._connection:
            with contextlib.suppress(KeyError, ValueError, OSError):
                self._connection.ioloop.remove_handler(self._listener.fileno())

    def _close_listener(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(psycopg.Error):
                self._listener.close()
            self._listener = None
