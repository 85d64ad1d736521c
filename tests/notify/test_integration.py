"""The whole notify path on real infrastructure: messages on the RabbitMQ vhost, the consumer
runner, PostgreSQL, the mail worker (woken by LISTEN/NOTIFY) and an aiosmtpd server."""

from __future__ import annotations

import uuid

import pika
import pytest
from sqlalchemy import func, select

from harness.bus import queue_depth, running
from harness.infra import wait_until
from services.notify.handlers import HANDLERS, dependencies
from services.notify.models import OutgoingMail, ProcessedMessage
from shared.broker import connect, declare_topology
from shared.consumer import ConsumerRunner, bind_handlers
from shared.messages import EXCHANGE, build_envelope
from shared.topology import QueueSpec

pytestmark = pytest.mark.integration


@pytest.fixture
def private_queue(notify_config, notify_settings):
    """notify's handlers on a queue of this test's own, so other tests' messages on the same
    vhost do not interfere."""
    handlers = bind_handlers(HANDLERS, dependencies(notify_config, notify_settings))
    merged = {key: handler for by_type in handlers.values() for key, handler in by_type.items()}
    spec = QueueSpec(f"notify.test.{uuid.uuid4().hex[:8]}", tuple(merged))
    return spec, {spec: merged}


def publish(amqp_url: str, spec: QueueSpec, *envelopes) -> None:
    connection = connect(amqp_url)
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        declare_topology(channel, (spec,))
        for envelope in envelopes:
            channel.basic_publish(
                EXCHANGE,
                envelope.type,
                envelope.to_json().encode(),
                pika.BasicProperties(
                    content_type="application/json",
                    delivery_mode=pika.DeliveryMode.Persistent,
                    message_id=envelope.id,
                    type=envelope.type,
                ),
                mandatory=True,
            )
    finally:
        connection.close()


def test_release_and_ticket_through_rabbitmq_reach_smtp_once(
    amqp_url, notify_db, private_queue, mail_worker, smtp_server, release_data, ticket_data
):
    spec, handlers = private_queue
    release = build_envelope("schedule.release.published", release_data(1), None)
    confirmed = build_envelope(
        "registration.ticket.confirmed", ticket_data(email="ida@example.org"), None
    )
    consumer = ConsumerRunner(notify_db, ProcessedMessage, amqp_url, handlers)

    with running(consumer), running(mail_worker):
        # The confirmation is published twice, as a relay does after a lost confirm.
        publish(amqp_url, spec, release, confirmed, confirmed)
        wait_until(
            lambda: any(e.rcpt_tos == ["ida@example.org"] for e in smtp_server.handler.received),
            message="the confirmation at the SMTP server",
        )
        wait_until(lambda: queue_depth(amqp_url, spec.name) == 0, message="the queue drained")

    with notify_db.transaction() as session:
        queued = session.scalar(
            select(func.count()).where(OutgoingMail.recipient == "ida@example.org")
        )
        handled = session.scalar(
            select(func.count()).where(ProcessedMessage.message_id == confirmed.id)
        )
    assert (queued, handled) == (1, 1)
    received = [e for e in smtp_server.handler.received if e.rcpt_tos == ["ida@example.org"]]
    assert len(received) == 1
