"""The envelope and message schemas (unit tests, no broker)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

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


def test_data_has_one_shape_built_or_parsed_and_its_json_form_only_on_the_wire():
    revoked_at = datetime(2024, 4, 29, 13, 0, tzinfo=UTC)
    built = build_envelope(
        "schedule.organiser.sessions_revoked",
        # Publishers may give times as objects or in their JSON form.
        {
            "account": "anna",
            "issued_before": "2024-04-29T13:00:00+00:00",
            "revoked_at": revoked_at,
            "reason": "removed",
        },
        None,
    )
    parsed = parse_envelope(built.to_json())

    assert built.data == parsed.data
    assert built.data["issued_before"] == built.data["revoked_at"] == revoked_at
    assert built.data["session_id"] is None
    assert json.loads(built.to_json())["data"] == {
        "account": "anna",
        "session_id": None,
        "issued_before": "2024-04-29T13:00:00+00:00",
        "revoked_at": "2024-04-29T13:00:00+00:00",
        "reason": "removed",
    }


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
