"""The broker goes away while changes keep being committed (stops the shared RabbitMQ app, so
these tests run alone: `pytest -m serial`)."""

from __future__ import annotations

import threading
import time

import pytest

from harness.bus import running
from harness.infra import rabbitmqctl, wait_until

pytestmark = [pytest.mark.serial, pytest.mark.slow]


def test_every_message_committed_during_a_broker_outage_arrives_once(
    commit_messages, make_relay, make_consumer, effects
):
    committed: list[str] = []
    stop = threading.Event()

    def keep_committing():
        n = 0
        while not stop.is_set():
            committed.extend(commit_messages(1, stage=f"s{n % 3}", start=n))
            n += 1
            time.sleep(0.01)

    producer = threading.Thread(target=keep_committing, daemon=True)
    with running(make_relay()), running(make_consumer()):
        producer.start()
        wait_until(lambda: len(effects()) >= 20, message="traffic before the outage")
        rabbitmqctl("stop_app")
        try:
            time.sleep(5)
        finally:
            rabbitmqctl("start_app")
            rabbitmqctl("await_startup")
        time.sleep(2)
        stop.set()
        producer.join()
        wait_until(lambda: len(effects()) >= len(committed), timeout=90, message="all messages")

    # Order per aggregate is kept while publishing (test_backbone), but messages the broker
    # requeues when connections drop may come back behind later ones; consumers cope with that.
    ids = [message_id for message_id, _ in effects()]
    assert sorted(ids) == sorted(committed), "every committed message arrived exactly once"
