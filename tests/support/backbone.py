"""Helpers of the message backbone tests: the message type and data they send through outbox,
relay, RabbitMQ and consumer, and a handler that records each message it gets in `effects`."""

from __future__ import annotations

from sqlalchemy import text

MESSAGE_TYPE = "schedule.live.updated"


def live_data(n: int, stage: str = "main") -> dict:
    return {"event": "todo2024", "stage": stage, "session": n, "status": "on_air"}


def record_effect(session, envelope) -> None:
    session.execute(
        text("INSERT INTO effects (message_id, n) VALUES (:id, :n)"),
        {"id": envelope.id, "n": envelope.data["session"]},
    )
