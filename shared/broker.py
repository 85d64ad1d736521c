"""RabbitMQ connections and the declaration of exchanges and queues (pika)."""

from __future__ import annotations

import logging
import random

import pika

from shared.config import QUEUE_TYPES, broker_urls
from shared.messages import DEAD_LETTER_EXCHANGE, EXCHANGE
from shared.topology import QueueSpec

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 30


def connection_parameters(url: str, *, heartbeat: int = HEARTBEAT_SECONDS, timeout: float = 5):
    """The parameters of one node's URL."""
    params = pika.URLParameters(url)
    params.heartbeat = heartbeat
    params.blocked_connection_timeout = 30
    params.socket_timeout = timeout
    params.connection_attempts = 1
    params.client_properties = {"connection_name": "todo-platform"}
    return params


def node_parameters(
    amqp_url: str, *, heartbeat: int = HEARTBEAT_SECONDS, timeout: float = 5
) -> list[pika.ConnectionParameters]:
    """The parameters of every node, shuffled: each process starts with a node of its own
    chance, so that the connections spread over the cluster."""
    nodes = [
        connection_parameters(url, heartbeat=heartbeat, timeout=timeout)
        for url in broker_urls(amqp_url)
    ]
    random.shuffle(nodes)
    return nodes


def connect(amqp_url: str, *, heartbeat: int = HEARTBEAT_SECONDS, timeout: float = 5):
    """A connection to the first node of `AMQP_URL` (in shuffled order) that answers."""
    return pika.BlockingConnection(node_parameters(amqp_url, heartbeat=heartbeat, timeout=timeout))


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


# A message delivered this often without an acknowledgement (its consumer process died each
# time) is a poison message: a quorum queue counts the deliveries itself and dead-letters it.
DELIVERY_LIMIT = 10


class TopologyMismatch(RuntimeError):
    """A queue exists with other arguments than this process declares (another queue type)."""


def queue_arguments(queue_type: str, **dead_lettering: str) -> dict:
    """The arguments of a queue of `queue_type` that dead-letters as `dead_lettering` says.

    Quorum queues keep a message on a majority of nodes; dead-lettering from them is made
    at-least-once (the message stays until the dead-letter target confirmed it), which needs
    `reject-publish` overflow. The replication factor is the broker's default (every node of
    the cluster, at most its `quorum_queue.initial_group_size`)."""
    arguments: dict = {}
    if dead_lettering:
        arguments["x-dead-letter-exchange"] = dead_lettering["exchange"]
        arguments["x-dead-letter-routing-key"] = dead_lettering["routing_key"]
    if queue_type == "quorum":
        arguments["x-queue-type"] = "quorum"
        if dead_lettering:
            arguments["x-dead-letter-strategy"] = "at-least-once"
            arguments["x-overflow"] = "reject-publish"
    elif queue_type not in QUEUE_TYPES:
        raise ValueError(f"queue type must be one of {QUEUE_TYPES}, not {queue_type!r}")
    return arguments


def _declare(channel, name: str, arguments: dict, queue_type: str) -> None:
    try:
        channel.queue_declare(name, durable=True, arguments=arguments)
    except pika.exceptions.ChannelClosedByBroker as error:
        if error.reply_code != 406:  # PRECONDITION_FAILED: the queue exists, declared otherwise
            raise
        raise TopologyMismatch(
            f"queue {name!r} exists with other arguments than AMQP_QUEUE_TYPE={queue_type} "
            f"declares ({error.reply_text}). To change the queue type, stop the platform, let "
            "the queues drain (rabbitmqctl list_queues name messages), delete them "
            "(rabbitmqctl delete_queue NAME, with their .retry and .dead queues) and start "
            "again; or start on a new virtual host."
        ) from None


def declare_queue(channel, spec: QueueSpec, queue_type: str = "classic") -> None:
    """Declare a consumer queue with its retry queue and its dead-letter queue, all three of
    `queue_type` (classic or quorum)."""
    arguments = queue_arguments(queue_type, exchange=DEAD_LETTER_EXCHANGE, routing_key=spec.name)
    if queue_type == "quorum":
        arguments["x-delivery-limit"] = DELIVERY_LIMIT
    _declare(channel, spec.name, arguments, queue_type)
    for key in spec.routing_keys:
        channel.queue_bind(spec.name, EXCHANGE, routing_key=key)
    # Messages wait here for their per-message expiration, then return to the main queue.
    _declare(
        channel,
        spec.retry_queue,
        queue_arguments(queue_type, exchange="", routing_key=spec.name),
        queue_type,
    )
    _declare(channel, spec.dead_letter_queue, queue_arguments(queue_type), queue_type)
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
