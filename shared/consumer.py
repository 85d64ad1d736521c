"""The consumer runner: delivers messages from durable queues to plain handler functions.

A service's handlers are plain functions `handler(session, envelope, dependencies)` in its
`handlers.py`, listed in one table (queue name -> routing key -> handler): a handler changes the
service's database through the given session and may add outbox rows to it; `dependencies` is
what else it needs (mailer, links, settings), built once per process. `bind_handlers` gives them
their dependencies, which makes them what the runner and `handle_once` call:
`handler(session, envelope)`. The runner records the message id in the same
transaction, commits, and only then acks, so a redelivered message does nothing twice. A handler
that raises is retried through the queue's retry queue with growing delays; after the last try
the message goes to the dead-letter queue. A message that cannot be parsed or validated goes
there at once. Recorded ids are deleted after a retention period far longer than any
redelivery (`prune_processed`).

A message delivered before without an ack (its consumer died holding it) is handled after the
messages that came with it, the least-redelivered first: a message that kills every process
taking it then dies alone, instead of taking the messages prefetched behind it along on each of
its deliveries until the quorum queue's delivery limit dead-letters them all.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pika
import pika.exceptions
from sqlalchemy import String, delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from shared.broker import Backoff, connect, declare_topology
from shared.db import (
    DATABASE_UNAVAILABLE,
    Database,
    UTCDateTime,
    insert_ignoring_duplicates,
    utcnow,
)
from shared.logging import correlation_id
from shared.messages import Envelope, MessageError, parse_envelope
from shared.topology import QueueSpec, queue

log = logging.getLogger(__name__)

# What a service writes: handler(session, envelope, dependencies).
ServiceHandler = Callable[[Session, Envelope, Any], None]
# A service's handlers: queue name -> routing key -> handler.
HandlerTable = Mapping[str, Mapping[str, ServiceHandler]]
# What the runner calls: a handler given its dependencies.
Handler = Callable[[Session, Envelope], None]
ATTEMPT_HEADER = "x-todo-attempt"
# Quorum queues count the deliveries of a message that came back unacknowledged.
DELIVERY_COUNT_HEADER = "x-delivery-count"
BROKER_ERRORS = (pika.exceptions.AMQPError, OSError)
PRUNE_INTERVAL_SECONDS = 3600


class ProcessedMessageMixin:
    """One row per (queue, message id) a consumer has handled."""

    __tablename__ = "processed_messages"

    queue: Mapped[str] = mapped_column(String(120), primary_key=True)
    message_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


def prune_processed(
    session: Session, processed_model: type[ProcessedMessageMixin], before: datetime
) -> int:
    """Forget the ids of messages handled before `before`; returns how many."""
    result = session.execute(
        delete(processed_model)
        .where(processed_model.processed_at < before)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def bind_handlers(table: HandlerTable, dependencies: Any) -> dict[QueueSpec, dict[str, Handler]]:
    """The runner's handlers: each queue of `table` with its handlers given `dependencies`.

    A queue must have a handler for each routing key it is bound to and for no other, so that a
    gap shows when the consumer starts, not as dead-lettered messages.
    """
    bound: dict[QueueSpec, dict[str, Handler]] = {}
    for name, by_key in table.items():
        spec = queue(name)
        if set(by_key) != set(spec.routing_keys):
            raise ValueError(
                f"{name} is bound to {sorted(spec.routing_keys)} but has handlers for "
                f"{sorted(by_key)}"
            )
        bound[spec] = {key: _given(handler, dependencies) for key, handler in by_key.items()}
    return bound


def _given(handler: ServiceHandler, dependencies: Any) -> Handler:
    def handle(session: Session, envelope: Envelope) -> None:
        handler(session, envelope, dependencies)

    return handle


class Outcome:
    HANDLED = "handled"
    DUPLICATE = "duplicate"
    RETRY = "retry"
    DEAD = "dead"


def handle_once(
    db: Database,
    processed_model: type[ProcessedMessageMixin],
    queue: str,
    envelope: Envelope,
    handler: Handler,
) -> str:
    """Run `handler` in one transaction together with recording the message id."""
    with db.transaction() as session:
        table = processed_model.__table__
        recorded = session.execute(
            insert_ignoring_duplicates(table, session.get_bind().dialect.name).returning(
                table.c.message_id
            ),
            {"queue": queue, "message_id": envelope.id, "processed_at": utcnow()},
        ).first()
        if recorded is None:
            return Outcome.DUPLICATE
        handler(session, envelope)
    return Outcome.HANDLED


@dataclass
class _Delivery:
    channel: Any
    spec: QueueSpec
    method: Any
    properties: Any
    body: bytes

    @property
    def count(self) -> int:
        """Deliveries before this one, as a quorum queue counts them (a classic queue only says
        there was one)."""
        headers = self.properties.headers or {}
        count = headers.get(DELIVERY_COUNT_HEADER)
        return count if isinstance(count, int) else 1


class ConsumerRunner:
    def __init__(
        self,
        db: Database,
        processed_model: type[ProcessedMessageMixin],
        amqp_url: str,
        handlers: Mapping[QueueSpec, Mapping[str, Handler]],
        *,
        max_attempts: int = 5,
        retry_base_ms: int = 500,
        prefetch: int = 20,
        queue_type: str = "classic",
        processed_retention: timedelta = timedelta(days=30),
    ):
        self.db = db
        self.processed_model = processed_model
        self.amqp_url = amqp_url
        self.handlers = handlers
        self.max_attempts = max_attempts
        self.retry_base_ms = retry_base_ms
        self.prefetch = prefetch
        self.queue_type = queue_type
        self.processed_retention = processed_retention
        self.stop_event = threading.Event()
        self._db_backoff = Backoff()
        self._next_prune = 0.0
        self._redelivered: list[_Delivery] = []

    def stop(self) -> None:
        self.stop_event.set()

    def run(self) -> None:
        backoff = Backoff()
        while not self.stop_event.is_set():
            connection = None
            self._redelivered = []  # their delivery tags died with the channel
            try:
                connection = connect(self.amqp_url)
                channel = connection.channel()
                channel.confirm_delivery()
                channel.basic_qos(prefetch_count=self.prefetch)
                declare_topology(channel, tuple(self.handlers), self.queue_type)
                for spec in self.handlers:
                    channel.basic_consume(spec.name, self._callback(spec))
                log.info("consuming %s", ", ".join(spec.name for spec in self.handlers))
                backoff.reset()
                while not self.stop_event.is_set():
                    connection.process_data_events(time_limit=0.5)
                    self._deliver_redelivered()
                    self._prune_if_due()
            except BROKER_ERRORS as exc:
                delay = backoff.next()
                log.warning("broker unavailable (%s); reconnecting in %.1f s", exc, delay)
                self.stop_event.wait(delay)
            finally:
                if connection is not None and connection.is_open:
                    with contextlib.suppress(BROKER_ERRORS):
                        connection.close()
        log.info("consumer stopped")

    def _prune_if_due(self) -> None:
        if time.monotonic() < self._next_prune:
            return
        self._next_prune = time.monotonic() + PRUNE_INTERVAL_SECONDS
        try:
            with self.db.transaction() as session:
                pruned = prune_processed(
                    session, self.processed_model, utcnow() - self.processed_retention
                )
            if pruned:
                log.info(
                    "forgot %d message ids handled over %s ago", pruned, self.processed_retention
                )
        except Exception:
            log.exception("pruning handled message ids failed; trying again later")

    def _callback(self, spec: QueueSpec):
        def on_message(channel, method, properties, body):
            if method.redelivered:
                self._redelivered.append(_Delivery(channel, spec, method, properties, body))
            else:
                self.deliver(channel, spec, method, properties, body)

        return on_message

    def _deliver_redelivered(self) -> None:
        """Once the messages that came with them are handled: the least-redelivered first, the
        later-delivered first among equals (a crash in a message's handler returns the messages
        prefetched behind it, which thus go before it the next time)."""
        held, self._redelivered = self._redelivered, []
        held.sort(key=lambda delivery: (delivery.count, -delivery.method.delivery_tag))
        for delivery in held:
            if self.stop_event.is_set():
                return  # the rest go back to the queue with the channel
            self.deliver(
                delivery.channel, delivery.spec, delivery.method, delivery.properties, delivery.body
            )

    def deliver(self, channel, spec: QueueSpec, method, properties, body: bytes) -> str:
        tag = method.delivery_tag
        try:
            envelope = parse_envelope(body)
            handler = self.handlers[spec].get(envelope.type)
            if handler is None:
                raise MessageError(f"{spec.name} has no handler for {envelope.type}")
        except MessageError as exc:
            log.error(
                "dead-lettering message %s from %s: %s", properties.message_id, spec.name, exc
            )
            channel.basic_nack(tag, requeue=False)
            return Outcome.DEAD

        token = correlation_id.set(envelope.correlation_id)
        try:
            outcome = handle_once(self.db, self.processed_model, spec.name, envelope, handler)
        except IntegrityError:
            # A concurrent delivery of the same message committed first.
            outcome = self._duplicate_or_retry(channel, spec, properties, body, envelope)
        except DATABASE_UNAVAILABLE as exc:
            # Not the message's fault: put it back without using up one of its tries.
            delay = self._db_backoff.next()
            log.warning(
                "database unavailable (%s); message back to the queue in %.1f s", exc, delay
            )
            self.stop_event.wait(delay)
            channel.basic_nack(tag, requeue=True)
            return Outcome.RETRY
        except Exception:
            log.exception("handling %s %s failed", envelope.type, envelope.id)
            outcome = self._retry_or_dead_letter(channel, spec, properties, body)
        finally:
            correlation_id.reset(token)
        self._db_backoff.reset()
        if outcome == Outcome.DEAD:
            channel.basic_nack(tag, requeue=False)
        else:
            channel.basic_ack(tag)
        return outcome

    def _duplicate_or_retry(self, channel, spec, properties, body, envelope) -> str:
        with self.db.transaction() as session:
            seen = session.get(self.processed_model, (spec.name, envelope.id)) is not None
        if seen:
            return Outcome.DUPLICATE
        return self._retry_or_dead_letter(channel, spec, properties, body)

    def _retry_or_dead_letter(self, channel, spec: QueueSpec, properties, body: bytes) -> str:
        headers = dict(properties.headers or {})
        attempt = int(headers.get(ATTEMPT_HEADER, 1))
        if attempt >= self.max_attempts:
            log.error(
                "giving up after %d attempts; dead-lettering to %s", attempt, spec.dead_letter_queue
            )
            return Outcome.DEAD
        headers[ATTEMPT_HEADER] = attempt + 1
        delay_ms = self.retry_base_ms * 2 ** (attempt - 1)
        retry_properties = pika.BasicProperties(
            content_type=properties.content_type,
            delivery_mode=pika.DeliveryMode.Persistent,
            message_id=properties.message_id,
            type=properties.type,
            timestamp=properties.timestamp,
            headers=headers,
            expiration=str(delay_ms),
        )
        # Confirmed before the original is acked, so the message exists in one place or two,
        # never none.
        channel.basic_publish("", spec.retry_queue, body, retry_properties)
        log.warning(
            "retrying %s in %d ms (attempt %d)", properties.message_id, delay_ms, attempt + 1
        )
        return Outcome.RETRY
