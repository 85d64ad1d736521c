"""The envelope and message schemas (unit tests, no broker)."""

from __future__ import annotations

import json

import pytest

from shared.messages import MessageError, build_envelope, parse_envelope, registered_types


def live(**changes):
    return {"event": "todo2024", "stage": "main", "session": 3, "status": "on_air", **changes}


def test_envelope_round_trip():
    envelope = build_envelope("schedule.live.updated", live(), "corr-1")
    body = json.loads(envelope.to_json())
    assert set(body) == {"id", "type", "occurred_at", "schema_version", "correlation_id", "data"}
    assert body["data"]["delay_minutes"] == 0, "defaults are filled in on publish"
    parsed = parse_envelope(envelope.to_json())
    assert parsed.id == envelope.id
    assert parsed.correlation_id == "corr-1"
    assert parsed.data["session"] == 3


def test_invalid_data_is_refused_on_publish():
    with pytest.raises(MessageError, match="status"):
        build_envelope("schedule.live.updated", live(status="dancing"), None)


def test_unknown_type_is_refused():
    with pytest.raises(MessageError, match="unknown message type"):
        build_envelope("schedule.nothing.happened", {}, None)


@pytest.mark.parametrize(
    "body",
    [
        b"\xff\xfe",
        b"[]",
        b'{"id": "x"}',
        json.dumps(
            {
                "id": "2b1c8a9e-4d3f-4f1e-9a57-3b1f0c7d8e9a",
                "type": "schedule.live.updated",
                "occurred_at": "2024-04-29T13:00:00",
                "schema_version": 1,
                "correlation_id": None,
                "data": live(),
            }
        ).encode(),
        json.dumps(
            {
                "id": "2b1c8a9e-4d3f-4f1e-9a57-3b1f0c7d8e9a",
                "type": "schedule.live.updated",
                "occurred_at": "2024-04-29T13:00:00+02:00",
                "schema_version": 99,
                "correlation_id": None,
                "data": live(),
            }
        ).encode(),
    ],
    ids=["not-utf8", "not-object", "bad-envelope", "naive-time", "future-version"],
)
def test_malformed_messages_are_refused_on_receipt(body):
    with pytest.raises(MessageError):
        parse_envelope(body)


def test_every_type_follows_the_routing_key_pattern():
    types = registered_types()
    assert "schedule.release.published" in types
    for name in types:
        service, thing, verb = name.split(".")
        assert service in {"schedule", "registration", "notify"}
        assert thing and verb
