"""The message envelope and the registry of message types.

Every message on the `todo.events` exchange is a JSON envelope
`{"id", "type", "occurred_at", "schema_version", "correlation_id", "data"}`; its routing key is
its type (`<service>.<thing>.<verb>`). Each type's `data` is described by a marshmallow schema,
registered with `message_type`, and checked on publish and on receipt.

`Envelope.data` has one shape on both sides: loaded by its schema (times as aware datetimes,
dates as dates, defaults filled in), as a handler wants it. It is dumped only for the wire, by
`Envelope.to_json`.
"""

from __future__ import annotations

import functools
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

EXCHANGE = "todo.events"
DEAD_LETTER_EXCHANGE = "todo.dead"

_REGISTRY: dict[str, tuple[int, type[Schema]]] = {}


class MessageError(ValueError):
    """A message that can never be handled: unknown type or data that does not validate."""


def message_type(name: str, version: int = 1):
    """Class decorator registering a schema as the `data` of message type `name`."""

    def register(schema_cls: type[Schema]) -> type[Schema]:
        if name in _REGISTRY:
            raise RuntimeError(f"message type {name!r} is registered twice")
        _REGISTRY[name] = (version, schema_cls)
        return schema_cls

    return register


def registered_types() -> dict[str, int]:
    _load_all()
    return {name: version for name, (version, _) in _REGISTRY.items()}


def _load_all() -> None:
    # The per-service modules register their types on import.
    from shared.messages import notify, registration, schedule  # noqa: F401


class EnvelopeSchema(Schema):
    id = fields.UUID(required=True)
    type = fields.String(required=True, validate=validate.Length(min=3, max=120))
    occurred_at = fields.AwareDateTime(required=True)
    schema_version = fields.Integer(required=True, validate=validate.Range(min=1))
    correlation_id = fields.String(
        required=True, allow_none=True, validate=validate.Length(max=200)
    )
    data = fields.Dict(required=True)


_ENVELOPE_SCHEMA = EnvelopeSchema()


@dataclass(frozen=True)
class Envelope:
    """A message; `data` as its type's schema loads it (never its JSON form)."""

    id: str
    type: str
    occurred_at: datetime
    schema_version: int
    correlation_id: str | None
    data: dict[str, Any]

    def to_json(self) -> str:
        return json.dumps(
            {
                "id": self.id,
                "type": self.type,
                "occurred_at": self.occurred_at.isoformat(),
                "schema_version": self.schema_version,
                "correlation_id": self.correlation_id,
                "data": _data_schema(self.type)[1].dump(self.data),
            },
            ensure_ascii=False,
            separators=(",", ":"),
            sort_keys=True,
        )


@functools.cache
def _data_schema(type_name: str) -> tuple[int, Schema]:
    _load_all()
    try:
        version, schema_cls = _REGISTRY[type_name]
    except KeyError:
        raise MessageError(f"unknown message type {type_name!r}") from None
    return version, schema_cls()


def build_envelope(type_name: str, data: dict[str, Any], correlation_id: str | None) -> Envelope:
    """Validate `data` against its type's schema and wrap it loaded; raises MessageError if
    invalid."""
    version, schema = _data_schema(type_name)
    try:
        loaded = schema.load(data)
    except ValidationError as exc:
        raise MessageError(f"{type_name}: {exc.messages}") from exc
    return Envelope(
        id=str(uuid.uuid4()),
        type=type_name,
        occurred_at=datetime.now(UTC),
        schema_version=version,
        correlation_id=correlation_id,
        data=loaded,
    )


def parse_envelope(body: bytes | str) -> Envelope:
    """Parse and validate a received message; raises MessageError for anything malformed."""
    try:
        raw = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MessageError(f"body is not JSON: {exc}") from exc
    if not isinstance(raw, dict):
        raise MessageError("body is not a JSON object")
    try:
        envelope = _ENVELOPE_SCHEMA.load(raw)
    except ValidationError as exc:
        raise MessageError(f"bad envelope: {exc.messages}") from exc
    version, schema = _data_schema(envelope["type"])
    if envelope["schema_version"] > version:
        raise MessageError(
            f"{envelope['type']} schema_version {envelope['schema_version']} is newer than {version}"
        )
    try:
        data = schema.load(envelope["data"])
    except ValidationError as exc:
        raise MessageError(f"{envelope['type']}: {exc.messages}") from exc
    return Envelope(
        id=str(envelope["id"]),
        type=envelope["type"],
        occurred_at=envelope["occurred_at"],
        schema_version=envelope["schema_version"],
        correlation_id=envelope["correlation_id"],
        data=data,
    )
