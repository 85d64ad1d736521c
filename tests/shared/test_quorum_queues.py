"""AMQP_QUEUE_TYPE=quorum: every queue the platform declares is a quorum queue, dead-letters
at least once, and a poison message ends in the dead-letter queue after the delivery limit."""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
import time
from collections import Counter
from urllib.parse import unquote, urlsplit

import pika
import pytest

from harness.bus import queue_depth, running
from harness.infra import private_vhost, rabbitmqctl, wait_until
from services.registration.models import ProcessedMessage
from shared.broker import DELIVERY_LIMIT, TopologyMismatch, connect, declare_topology
from shared.consumer import ConsumerRunner
from shared.db import Database
from shared.messages import EXCHANGE
from shared.topology import QUEUES, queue
from tests.support.backbone import MESSAGE_TYPE, record_effect

pytestmark = pytest.mark.slow


@pytest.fixture
def amqp_url():
    with private_vhost() as url:
        yield url


def queues_of(amqp_url: str) -> dict[str, dict]:
    vhost = unquote(urlsplit(amqp_url).path[1:])
    listed = rabbitmqctl(
        "list_queues", "-p", vhost, "--formatter", "json", "name", "type", "arguments"
    )
    return {
        # Each argument is listed as [name, AMQP type, value].
        info["name"]: {"type": info["type"], **{a[0]: a[-1] for a in info["arguments"]}}
        for info in json.loads(listed)
    }


def test_every_declared_queue_is_a_quorum_queue_dead_lettering_at_least_once(amqp_url):
    connection = connect(amqp_url)
    declare_topology(connection.channel(), QUEUES, "quorum")
    connection.close()

    declared = queues_of(amqp_url)
    names = {n for spec in QUEUES for n in (spec.name, spec.retry_queue, spec.dead_letter_queue)}
    assert set(declared) == names
    assert {info["type"] for info in declared.values()} == {"quorum"}
    for spec in QUEUES:
        for name in (spec.name, spec.retry_queue):
            assert declared[name]["x-dead-letter-strategy"] == "at-least-once", name
            assert declared[name]["x-overflow"] == "reject-publish", name
        assert declared[spec.name]["x-delivery-limit"] == DELIVERY_LIMIT


def test_classic_queues_switched_to_quorum_give_an_error_that_says_how_to_migrate(amqp_url):
    connection = connect(amqp_url)
    declare_topology(connection.channel(), QUEUES, "classic")
    with pytest.raises(TopologyMismatch, match="delete_queue") as raised:
        declare_topology(connection.channel(), QUEUES, "quorum")
    assert "AMQP_QUEUE_TYPE=quorum" in str(raised.value)
    connection.close()


def test_a_message_that_kills_its_consumer_every_time_is_dead_lettered(amqp_url):
    spec = queue("notify.tickets")
    connection = connect(amqp_url)
    channel = connection.channel()
    declare_topology(channel, (spec,), "quorum")
    channel.confirm_delivery()
    channel.basic_publish(
        EXCHANGE,
        spec.routing_keys[0],
        b'{"poison": true}',
        pika.BasicProperties(delivery_mode=2, message_id="poison-1"),
    )
    connection.close()

    # Each consumer takes the message and dies before acknowledging it.
    deliveries = 0
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        connection = connect(amqp_url)
        method, _properties, _body = connection.channel().basic_get(spec.name)
        connection.close()
        if method is None:
            break
        deliveries += 1
    assert deliveries == DELIVERY_LIMIT + 1

    connection = connect(amqp_url)
    channel = connection.channel()
    for _ in range(50):
        method, properties, body = channel.basic_get(spec.dead_letter_queue, auto_ack=True)
        if method is not None:
            break
        time.sleep(0.1)
    connection.close()
    assert body == b'{"poison": true}' and properties.message_id == "poison-1"


def test_a_message_that_kills_its_consumer_dies_alone(
    commit_messages, make_relay, test_queue, consumer_db, amqp_url, effects
):
    """Ten messages prefetched behind one that kills every consumer process taking it are
    handled once; only the killer is dead-lettered (the drill found its neighbours going with
    it). The consumer runs in a child process that exits hard, as a crashing process would."""

    def kills_its_process(session, envelope):
        if envelope.data["session"] < 0:
            os._exit(70)
        record_effect(session, envelope)

    def consume() -> None:
        runner = ConsumerRunner(
            Database(consumer_db.url, pool_size=1),
            ProcessedMessage,
            amqp_url,
            {test_queue: {MESSAGE_TYPE: kills_its_process}},
            queue_type="quorum",
        )
        runner.run()

    commit_messages(1, start=-1)
    commit_messages(10)
    crashes = 0
    with running(make_relay(queues=(test_queue,), queue_type="quorum")):
        deadline = time.monotonic() + 120
        while queue_depth(amqp_url, test_queue.dead_letter_queue) == 0:
            assert time.monotonic() < deadline, f"not dead-lettered after {crashes} crashes"
            child = multiprocessing.get_context("fork").Process(target=consume)
            child.start()
            while child.is_alive() and not queue_depth(amqp_url, test_queue.dead_letter_queue):
                child.join(timeout=0.2)
            if child.is_alive():
                child.kill()
            child.join()
            crashes += child.exitcode == 70
    assert sorted(n for _, n in effects()) == list(range(10))
    assert queue_depth(amqp_url, test_queue.dead_letter_queue) == 1
    assert crashes == DELIVERY_LIMIT + 1


def test_retries_go_through_the_quorum_retry_queue_and_end_in_the_dead_letter_queue(
    commit_messages, make_relay, make_consumer, test_queue, effects, amqp_url
):
    attempts = Counter()

    def third_time_lucky(session, envelope):
        attempts[envelope.id] += 1
        if attempts[envelope.id] < 3:
            raise RuntimeError("handler bug")
        record_effect(session, envelope)

    def always_fails(session, envelope):
        raise RuntimeError("handler bug")

    quorum = {"queue_type": "quorum"}
    commit_messages(1)
    with (
        running(make_relay(queues=(test_queue,), **quorum)),
        running(make_consumer(third_time_lucky, max_attempts=5, **quorum)),
    ):
        wait_until(lambda: len(effects()) == 1, message="the message handled on its third try")
    assert list(attempts.values()) == [3]

    commit_messages(1)
    with (
        running(make_relay(queues=(test_queue,), **quorum)),
        running(make_consumer(always_fails, max_attempts=3, **quorum)),
    ):
        wait_until(
            lambda: queue_depth(amqp_url, test_queue.dead_letter_queue) == 1,
            message="the dead-lettered message",
        )
    assert queues_of(amqp_url)[test_queue.retry_queue]["type"] == "quorum"


def test_a_consumer_finding_classic_queues_exits_with_the_migration_steps(amqp_url, tmp_path):
    connection = connect(amqp_url)
    declare_topology(connection.channel(), QUEUES, "classic")
    connection.close()

    env = {
        **os.environ,
        "AMQP_URL": amqp_url,
        "AMQP_QUEUE_TYPE": "quorum",
        "TODO_VAR_DIR": str(tmp_path),
    }
    consumer = subprocess.run(
        [sys.executable, "-m", "shared.cli", "consume", "registration"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    # EX_CONFIG: `todo up` stops everything instead of starting it again and again.
    assert consumer.returncode == os.EX_CONFIG
    assert "AMQP_QUEUE_TYPE=quorum" in consumer.stderr and "delete_queue" in consumer.stderr
    assert "Traceback" not in consumer.stderr
