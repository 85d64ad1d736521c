"""Running relays and consumers in threads, and reading what reached a queue, for tests,
benchmarks and drills."""

from __future__ import annotations

import contextlib
import json
import threading
import uuid

import pika.exceptions

from shared.broker import connect, declare_exchanges
from shared.messages import EXCHANGE


@contextlib.contextmanager
def running(runner):
    """Run a relay or consumer (anything with run() and stop()) in a thread for the block."""
    thread = threading.Thread(target=runner.run, daemon=True)
    thread.start()
    try:
        yield runner
    finally:
        runner.stop()
        thread.join(timeout=30)
        assert not thread.is_alive(), "runner did not stop"


class QueueTap:
    """A private queue bound to routing keys on `todo.events`, to see what was published."""

    def __init__(self, amqp_url: str, *routing_keys: str):
        self.connection = connect(amqp_url)
        self.channel = self.connection.channel()
        declare_exchanges(self.channel)
        self.name = f"test.tap.{uuid.uuid4().hex[:8]}"
        self.channel.queue_declare(self.name, exclusive=True)
        for key in routing_keys:
            self.channel.queue_bind(self.name, EXCHANGE, routing_key=key)
        self.received: list[dict] = []
        self.channel.basic_consume(self.name, self._on_message, auto_ack=True)

    def _on_message(self, _channel, _method, _properties, body: bytes) -> None:
        self.received.append(json.loads(body))

    def receive(self, seconds: float = 0.01) -> list[dict]:
        """Take in what arrives within `seconds`; returns all envelopes received so far."""
        self.connection.process_data_events(time_limit=seconds)
        return self.received

    def drain(self) -> list[dict]:
        """Take in messages until none arrives for 50 ms; returns all received so far."""
        while True:
            before = len(self.received)
            self.receive(0.05)
            if len(self.received) == before:
                return self.received

    def close(self) -> None:
        if self.connection.is_open:
            self.connection.close()


def queue_depth(amqp_url: str, queue: str) -> int:
    """Messages ready in `queue` (0 when it does not exist)."""
    connection = connect(amqp_url)
    try:
        channel = connection.channel()
        try:
            return channel.queue_declare(queue, passive=True).method.message_count
        except pika.exceptions.ChannelClosedByBroker:
            return 0
    finally:
        if connection.is_open:
            connection.close()
