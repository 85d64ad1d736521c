"""Integration: a published release travels outbox -> relay -> RabbitMQ (the test vhost)."""

from __future__ import annotations

import json

import pytest

from harness.bus import QueueTap, running
from harness.infra import wait_until
from services.schedule.draft import find_event, list_sessions, update_session
from services.schedule.models import OutboxMessage
from services.schedule.releases import publish_release
from shared.messages import parse_envelope
from shared.relay import OutboxRelay

pytestmark = pytest.mark.integration


def test_published_releases_arrive_on_rabbitmq_in_order(
    schedule_db, amqp_url, document, import_document
):
    tap = QueueTap(amqp_url, "schedule.release.published")
    try:
        with schedule_db.transaction() as session:
            publish_release(session, import_document(session, document).event, "eins")
        with schedule_db.transaction() as session:
            event = find_event(session, "testweek")
            update_session(session, list_sessions(session, event)[-1], {"title": "Geändert"})
            publish_release(session, event, "zwei")

        relay = OutboxRelay(schedule_db, OutboxMessage, amqp_url, poll_seconds=0.05)
        with running(relay):
            received = wait_until(
                lambda: len(tap.drain()) >= 2 and tap.received, message="two releases on the tap"
            )
    finally:
        tap.close()
    envelopes = [parse_envelope(json.dumps(body)) for body in received]
    assert [e.type for e in envelopes] == ["schedule.release.published"] * 2
    assert [e.data["release"]["number"] for e in envelopes] == [1, 2]
    assert envelopes[0].data["event"]["slug"] == "testweek"
    assert len(envelopes[1].data["sessions"]) == 4
    assert [c["kind"] for c in envelopes[1].data["changes"]] == ["changed"]
