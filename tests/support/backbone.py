"""Helpers of the message backbone tests: the message type and data they send through outbox,
relay, RabbitMQ and consumer, a handler that records each message it gets in `effects`, and
which of a service's handlers a message type reaches (for tests that deliver by hand)."""

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


def message_routes(service: str, config) -> dict[str, list[tuple[str, object]]]:
    """Message type -> [(queue, handler)] of `service`'s consumer, as the runner binds them."""
    from shared.service import load_service

    routes: dict[str, list[tuple[str, object]]] = {}
    for queue, by_type in load_service(service).consumer_handlers(config).items():
        for type_name, handler in by_type.items():
            routes.setdefault(type_name, []).append((queue.name, handler))
    return routes
