"""Fixtures for the message backbone: a producer database with an outbox, a consumer database
with an `effects` table that handlers write to, and a private queue per test."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text

from services.registration.models import ProcessedMessage
from services.schedule.models import OutboxMessage
from shared.consumer import ConsumerRunner
from shared.outbox import add_message
from shared.relay import OutboxRelay
from shared.topology import QUEUES, QueueSpec
from tests.support.backbone import MESSAGE_TYPE, live_data, record_effect


@pytest.fixture
def producer_db(schedule_db):
    return schedule_db


@pytest.fixture
def consumer_db(registration_db):
    with registration_db.transaction() as session:
        session.execute(text("CREATE TABLE effects (message_id VARCHAR(36), n INTEGER)"))
    return registration_db


@pytest.fixture
def commit_messages(producer_db):
    """commit_messages(count, stage=..., start=0) commits each message in its own transaction."""

    def commit(count: int, *, stage: str = "main", start: int = 0) -> list[str]:
        ids = []
        for n in range(start, start + count):
            with producer_db.transaction() as session:
                row = add_message(
                    session, OutboxMessage, MESSAGE_TYPE, live_data(n, stage), aggregate=stage
                )
                ids.append(row.message_id)
        return ids

    return commit


@pytest.fixture
def make_relay(producer_db, amqp_url, test_queue):
    """Relays also declare the test's queue, so nothing published before its consumer is lost."""

    def make(**options) -> OutboxRelay:
        options.setdefault("queues", (*QUEUES, test_queue))
        return OutboxRelay(producer_db, OutboxMessage, amqp_url, poll_seconds=0.05, **options)

    return make


@pytest.fixture
def test_queue() -> QueueSpec:
    return QueueSpec(f"test.backbone-{uuid.uuid4().hex[:8]}", (MESSAGE_TYPE,))


@pytest.fixture
def make_consumer(consumer_db, amqp_url, test_queue):
    def make(handler=record_effect, **options) -> ConsumerRunner:
        options.setdefault("retry_base_ms", 50)
        return ConsumerRunner(
            consumer_db,
            ProcessedMessage,
            amqp_url,
            {test_queue: {MESSAGE_TYPE: handler}},
            **options,
        )

    return make


@pytest.fixture
def effects(consumer_db):
    """effects() -> list of (message_id, n) the handlers recorded, in insertion order."""

    def read() -> list[tuple[str, int]]:
        with consumer_db.transaction() as session:
            return [
                tuple(row) for row in session.execute(text("SELECT message_id, n FROM effects"))
            ]

    return read
