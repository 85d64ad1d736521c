"""RabbitMQ connections and the declaration of exchanges and queues (pika)."""

from __future__ import annotations

import logging

import pika

from shared.messages import DEAD_LETTER_EXCHANGE, EXCHANGE
from shared.topology import QueueSpec

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 30


def connection_parameters(amqp_url: str, *, heartbeat: int = HEARTBEAT_SECONDS, timeout: float = 5):
    params = pika.URLParameters(amqp_url)
    params.heartbeat = heartbeat
    params.blocked_connection_timeout = 30
    params.socket_timeout = timeout
    params.connection_attempts = 1
    params.client_properties = {"connection_name": "todo-platform"}
    return params


def connect(amqp_url: str, *, heartbeat: int = HEARTBEAT_SECONDS, timeout: float = 5):
    return pika.BlockingConnection(
        connection_parameters(amqp_url, heartbeat=heartbeat, timeout=timeout)
    )


def broker_reachable(amqp_url: str, timeout: float = 2.0) -> bool:
    try:
        connection = connect(amqp_url, timeout=timeout)
    except Exception:  # any failure to reach the broker means "not ready"
        return False
    try:
        connection.close()
    except Exception:
        log.debug("closing readiness probe connection failed", exc_info=True)
    return True


def declare_exchanges(channel) -> None:
    channel.exchange_declare(EXCHANGE, exchange_type="topic", durable=True)
    channel.exchange_declare(DEAD_LETTER_EXCHANGE, exchange_type="direct", durable=True)


def declare_queue(channel, spec: QueueSpec, queue_type: str = "classic") -> None:
    """Declare a consumer queue with its retry queue and its dead-letter queue."""
    arguments = {
        "x-dead-letter-exchange": DEAD_LETTER_EXCHANGE,
        "x-dead-letter-routing-key": spec.name,
    }
    if queue_type != "classic":
        arguments["x-queue-type"] = queue_type
    channel.queue_declare(spec.name, durable=True, arguments=arguments)
    for key in spec.routing_keys:
        channel.queue_bind(spec.name, EXCHANGE, routing_key=key)
    # Messages wait here for their per-message expiration, then return to the main queue.
    channel.queue_declare(
        spec.retry_queue,
        durable=True,
        arguments={"x-dead-letter-exchange": "", "x-dead-letter-routing-key": spec.name},
    )
    channel.queue_declare(spec.dead_letter_queue, durable=True)
    channel.queue_bind(spec.dead_letter_queue, DEAD_LETTER_EXCHANGE, routing_key=spec.name)


def declare_topology(channel, queues: tuple[QueueSpec, ...], queue_type: str = "classic") -> None:
    declare_exchanges(channel)
    for spec in queues:
        declare_queue(channel, spec, queue_type)


class Backoff:
    """Exponential back-off for reconnecting: 0.5 s doubling to at most 10 s."""

    def __init__(self, first: float = 0.5, most: float = 10.0):
        self.first = first
        self.most = most
        self.current = first

    def next(self) -> float:
        delay = self.current
        self.current = min(self.current * 2, self.most)
        return delay

    def reset(self) -> None:
        self.current = self.first
