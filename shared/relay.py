"""The outbox relay: publishes outbox rows to RabbitMQ and marks them published.

Each row is published persistent and `mandatory`, on a channel with publisher confirms, and
marked published in the transaction that locked it; a crash or a lost broker before that commit
leaves the row to be published again (consumers drop duplicates by message id). Two relays may
run at once: rows are locked with SKIP LOCKED on PostgreSQL (SQLite has a single writer anyway),
and a row is only published when no earlier row of its aggregate is still waiting, so each
aggregate's messages keep their order.
"""

from __future__ import annotations

import contextlib
import logging
import threading

import pika
import pika.exceptions
import psycopg
from sqlalchemy import select

from shared.broker import Backoff, connect, declare_topology
from shared.db import Database, utcnow
from shared.messages import EXCHANGE
from shared.outbox import OutboxMixin, notify_channel
from shared.topology import QUEUES, QueueSpec

log = logging.getLogger(__name__)

BROKER_ERRORS = (pika.exceptions.AMQPError, OSError)


class OutboxRelay:
    def __init__(
        self,
        db: Database,
        outbox_model: type[OutboxMixin],
        amqp_url: str,
        *,
        batch_size: int = 200,
        poll_seconds: float = 0.1,
        listen_timeout: float = 5.0,
        queues: tuple[QueueSpec, ...] = QUEUES,
        queue_type: str = "classic",
    ):
        self.db = db
        self.outbox = outbox_model
        self.amqp_url = amqp_url
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.listen_timeout = listen_timeout
        self.queues = queues
        self.queue_type = queue_type
        self.stop_event = threading.Event()
        self._listener: psycopg.Connection | None = None

    # -- the loop -------------------------------------------------------------------------

    def run(self) -> None:
        backoff = Backoff()
        while not self.stop_event.is_set():
            connection = None
            try:
                connection = connect(self.amqp_url)
                channel = connection.channel()
                channel.confirm_delivery()
                declare_topology(channel, self.queues, self.queue_type)
                log.info("relay connected to the broker")
                backoff.reset()
                self._publish_until_stopped(connection, channel)
            except BROKER_ERRORS as exc:
                delay = backoff.next()
                log.warning("broker unavailable (%s); retrying in %.1f s", exc, delay)
                self.stop_event.wait(delay)
            finally:
                if connection is not None and connection.is_open:
                    with contextlib.suppress(BROKER_ERRORS):
                        connection.close()
        self._close_listener()
        log.info("relay stopped")

    def stop(self) -> None:
        self.stop_event.set()

    def _publish_until_stopped(self, connection, channel) -> None:
        while not self.stop_event.is_set():
            published = self.publish_batch(channel)
            connection.process_data_events(time_limit=0)
            if published < self.batch_size:
                self._wait_for_rows()

    # -- one batch ------------------------------------------------------------------------

    def claim_batch(self, session) -> list[OutboxMixin]:
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

    def publish_batch(self, channel) -> int:
        """Publish one batch; returns how many rows were published."""
        with self.db.transaction() as session:
            rows = self.claim_batch(session)
            for row in rows:
                self._publish_row(channel, row)
                row.published_at = utcnow()
                row.attempts += 1
            return len(rows)

    def _publish_row(self, channel, row: OutboxMixin) -> None:
        properties = pika.BasicProperties(
            content_type="application/json",
            delivery_mode=pika.DeliveryMode.Persistent,
            message_id=row.message_id,
            type=row.routing_key,
            timestamp=int(row.created_at.timestamp()),
        )
        try:
            channel.basic_publish(
                EXCHANGE, row.routing_key, row.body.encode(), properties, mandatory=True
            )
        except pika.exceptions.UnroutableError:
            # Every consuming queue is declared before publishing, so nobody subscribes to this
            # type: keep a trace on the row instead of retrying forever.
            log.warning("message %s (%s) is unroutable", row.message_id, row.routing_key)
            row.last_error = "unroutable: no queue is bound to this routing key"

    # -- waiting for work -----------------------------------------------------------------

    def _wait_for_rows(self) -> None:
        if self.db.is_sqlite:
            self.stop_event.wait(self.poll_seconds)
            return
        try:
            listener = self._listen()
            for _ in listener.notifies(timeout=self.listen_timeout, stop_after=1):
                pass
        except psycopg.Error as exc:
            log.warning("LISTEN failed (%s); polling instead", exc)
            self._close_listener()
            self.stop_event.wait(self.poll_seconds)

    def _listen(self) -> psycopg.Connection:
        if self._listener is None or self._listener.closed:
            url = self.db.engine.url.set(drivername="postgresql")
            self._listener = psycopg.connect(
                url.render_as_string(hide_password=False), autocommit=True
            )
            channel = notify_channel(self.outbox.__tablename__)
            self._listener.execute(f'LISTEN "{channel}"')
        return self._listener

    def _close_listener(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(psycopg.Error):
                self._listener.close()
            self._listener = None
