"""The message backbone against the real PostgreSQL and RabbitMQ: outbox, relay, consumer."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter

import pytest
from sqlalchemy import func, select

from harness.bus import QueueTap, queue_depth, running
from harness.infra import wait_until
from services.schedule.models import OutboxMessage
from shared.broker import connect
from shared.consumer import Outcome, handle_once
from shared.messages import parse_envelope
from shared.outbox import add_message
from tests.support.backbone import MESSAGE_TYPE, live_data, record_effect


def test_committed_change_is_delivered_once_and_rolled_back_one_never(
    producer_db, commit_messages, make_relay, make_consumer, effects
):
    committed = commit_messages(1, start=7)
    with pytest.raises(RuntimeError), producer_db.transaction() as session:
        add_message(session, OutboxMessage, MESSAGE_TYPE, live_data(99), aggregate="main")
        raise RuntimeError("the change fails after writing its outbox row")

    with running(make_relay()), running(make_consumer()):
        wait_until(lambda: len(effects()) == 1, message="the committed message")
        # Give a wrongly published rolled-back message every chance to show up.
        commit_messages(1, start=8)
        wait_until(lambda: len(effects()) == 2, message="the second committed message")

    assert [n for _, n in effects()] == [7, 8]
    assert effects()[0][0] == committed[0]
    with producer_db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 2


def test_two_relays_at_once_deliver_everything_once_in_order_per_aggregate(
    commit_messages, make_relay, amqp_url
):
    tap = QueueTap(amqp_url, MESSAGE_TYPE)
    ids = commit_messages(150, stage="a") + commit_messages(150, stage="b", start=1000)
    with running(make_relay(batch_size=20)), running(make_relay(batch_size=20)):
        wait_until(lambda: len(tap.drain()) >= 300, message="all 300 messages")
    tap.close()

    received = [m["id"] for m in tap.received]
    assert sorted(received) == sorted(ids), "every message exactly once"
    for stage, start in (("a", 0), ("b", 1000)):
        sequence = [m["data"]["session"] for m in tap.received if m["data"]["stage"] == stage]
        assert sequence == list(range(start, start + 150)), f"aggregate {stage} kept its order"


def test_consumer_dying_before_ack_gets_the_message_again_and_acts_once(
    commit_messages, make_relay, make_consumer, consumer_db, test_queue, effects, amqp_url
):
    from services.registration.models import ProcessedMessage

    commit_messages(1)
    with running(make_relay()):
        wait_until(lambda: queue_depth(amqp_url, test_queue.name) == 1, message="queued")

    # A consumer takes the message, commits its effect, then dies before it can ack.
    connection = connect(amqp_url)
    channel = connection.channel()
    method, _props, body = channel.basic_get(test_queue.name, auto_ack=False)
    assert method is not None
    envelope = parse_envelope(body)
    assert handle_once(consumer_db, ProcessedMessage, test_queue.name, envelope, record_effect) == (
        Outcome.HANDLED
    )
    connection.close()  # what the broker sees when the process dies: unacked, so redelivered

    outcomes = []
    runner = make_consumer()
    original = runner.deliver

    def spy(*args):
        outcomes.append(original(*args))
        return outcomes[-1]

    runner.deliver = spy
    with running(runner):
        wait_until(lambda: outcomes, message="the redelivery")
    assert outcomes == [Outcome.DUPLICATE]
    assert len(effects()) == 1
    assert queue_depth(amqp_url, test_queue.name) == 0


def test_message_that_always_fails_is_dead_lettered_after_the_configured_tries(
    commit_messages, make_relay, make_consumer, test_queue, effects, amqp_url
):
    attempts = Counter()

    def always_fails(session, envelope):
        record_effect(session, envelope)  # rolled back with the failure
        attempts[envelope.id] += 1
        raise RuntimeError("handler bug")

    commit_messages(1)
    with running(make_relay()), running(make_consumer(always_fails, max_attempts=3)):
        wait_until(
            lambda: queue_depth(amqp_url, test_queue.dead_letter_queue) == 1,
            message="the dead-lettered message",
        )
    assert list(attempts.values()) == [3]
    assert effects() == []
    assert queue_depth(amqp_url, test_queue.name) == 0


def test_invalid_message_is_dead_lettered_at_once_and_the_rest_keeps_flowing(
    commit_messages, make_relay, make_consumer, test_queue, effects, amqp_url
):
    connection = connect(amqp_url)
    channel = connection.channel()
    with running(make_consumer()):
        wait_until(lambda: runner_ready(amqp_url, test_queue.name), message="queue declared")
        poison = {"id": "not-a-uuid", "type": MESSAGE_TYPE, "data": {}}
        channel.basic_publish("", test_queue.name, json.dumps(poison).encode())
        channel.basic_publish("", test_queue.name, b"\xff not json")
        commit_messages(3)
        with running(make_relay()):
            wait_until(lambda: len(effects()) == 3, message="the valid messages")
    connection.close()
    assert queue_depth(amqp_url, test_queue.dead_letter_queue) == 2


TOTAL = 10_000


@pytest.mark.slow
def test_relay_killed_in_the_middle_of_a_batch_loses_nothing(
    producer_db, commit_messages, make_config, amqp_url, test_queue, tmp_path
):
    with producer_db.transaction() as session:
        for n in range(TOTAL):
            add_message(session, OutboxMessage, MESSAGE_TYPE, live_data(n), aggregate=f"s{n % 7}")
    env = {
        **os.environ,
        "SCHEDULE_DATABASE_URL": producer_db.url,
        "AMQP_URL": amqp_url,
        "RELAY_BATCH_SIZE": "1000",
        "TODO_VAR_DIR": str(tmp_path),
    }
    command = [sys.executable, "-m", "shared.cli", "relay", "schedule"]
    tap = QueueTap(amqp_url, MESSAGE_TYPE)
    relay = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: tap.receive(), interval=0, message="the first messages")
        relay.send_signal(signal.SIGKILL)
        relay.wait(timeout=10)
    finally:
        if relay.poll() is None:
            relay.kill()
    with producer_db.transaction() as session:
        marked = session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.published_at.is_not(None))
        )
    received = {m["id"] for m in tap.drain()}
    assert len(received) < TOTAL, "killed before the relay was done"
    assert len(received) > marked, "killed after publishing a batch but before marking it"

    relay = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: len({m["id"] for m in tap.drain()}) == TOTAL, timeout=60)
    finally:
        relay.send_signal(signal.SIGTERM)
        assert relay.wait(timeout=20) == 0, "relay stops cleanly on SIGTERM"
    tap.close()
    with producer_db.transaction() as session:
        waiting = session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.published_at.is_(None))
        )
    assert waiting == 0


def runner_ready(amqp_url: str, queue: str) -> bool:
    connection = connect(amqp_url)
    try:
        return connection.channel().queue_declare(queue, passive=True).method.consumer_count > 0
    except Exception:
        return False
    finally:
        if connection.is_open:
            connection.close()
