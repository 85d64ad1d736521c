"""Fast versions of the fault drills (`make drill` runs the full ones): one platform on a private
RabbitMQ node and PostgreSQL cluster, registrations flowing, then something breaks.

They stop and restart private servers only, never the shared ones, but they are long and load
the machine, so they run alone with `pytest -m serial`.
"""

from __future__ import annotations

import pytest

from drills.scenarios import (
    broker_outage,
    database_restart,
    drill_ground,
    poison_message,
    smtp_down,
    worker_kills,
)

pytestmark = [pytest.mark.slow, pytest.mark.serial, pytest.mark.timeout(900)]
SCALE = 0.1


@pytest.fixture(scope="module")
def ground():
    with drill_ground() as ground:
        yield ground


def assert_clean(result):
    assert result.counts["registrations"] > 0
    assert result.ok, f"{result.name}: {result.verdict} {result.counts}"


def test_poison_messages_are_dead_lettered_and_the_rest_flows(ground):
    assert_clean(poison_message(ground, SCALE))


def test_relays_and_consumers_killed_mid_work_lose_and_double_nothing(ground):
    workers = (
        "registration-relay",
        "notify-consumer",
        "schedule-relay",
        "registration-consumer",
        "notify-relay",
    )
    assert_clean(worker_kills(ground, SCALE, workers))


def test_mail_sender_killed_mid_work_loses_nothing_and_doubles_at_most_the_mail_in_flight(ground):
    result = worker_kills(ground, SCALE, ("notify-mail",))
    assert result.counts["mails_missing"] == 0, result.counts
    # Each outcome is recorded right after the SMTP answer: only a mail accepted in the
    # instant before the kill can go out twice.
    assert result.counts["mails_doubled"] <= 1, result.counts
    assert result.counts["answers"] == {"201": result.counts["registrations"]}


def test_mail_waits_for_the_smtp_server_and_is_delivered_once(ground):
    result = smtp_down(ground, SCALE)
    assert_clean(result)
    assert result.counts["mails_while_down"] == 0


def test_registrations_are_answered_while_the_broker_is_down(ground):
    result = broker_outage(ground, SCALE)
    assert_clean(result)
    assert result.counts["registered_while_broker_down"] > 0


def test_database_restart_fails_requests_with_503_and_recovers(ground):
    result = database_restart(ground, SCALE)
    assert_clean(result)
    assert result.counts["registration_after_restart"] == 201
