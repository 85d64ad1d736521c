"""Relays and consumers forget what they no longer need: published outbox rows (names,
addresses, links) after the outbox retention, handled message ids after theirs."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from harness.bus import running
from harness.infra import wait_until
from services.notify.settings import NotifySettings
from services.registration.models import ProcessedMessage
from services.registration.settings import RegistrationSettings
from services.schedule.models import OutboxMessage
from shared.config import Config
from shared.db import utcnow


def test_relay_deletes_rows_published_before_the_retention_period(
    producer_db, commit_messages, make_relay
):
    old, recent, waiting = commit_messages(3)
    now = utcnow()
    with producer_db.transaction() as session:
        for message_id, published_at in ((old, now - timedelta(days=8)), (recent, now)):
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.message_id == message_id)
                .values(published_at=published_at)
            )
        # Waiting for a month (a broker long gone): still to be published, not deleted.
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.message_id == waiting)
            .values(created_at=now - timedelta(days=30))
        )

    def rows() -> dict[str, bool]:
        with producer_db.transaction() as session:
            stored = session.execute(select(OutboxMessage.message_id, OutboxMessage.published_at))
            return {message_id: at is not None for message_id, at in stored}

    with running(make_relay(retention=timedelta(days=7))):
        wait_until(lambda: rows() == {recent: True, waiting: True}, message="old row deleted")


def test_consumer_forgets_message_ids_handled_before_the_retention_period(
    consumer_db, make_consumer
):
    now = utcnow()
    with consumer_db.transaction() as session:
        for message_id, processed_at in (("old", now - timedelta(days=31)), ("new", now)):
            session.add(
                ProcessedMessage(queue="q", message_id=message_id, processed_at=processed_at)
            )

    def remembered() -> list[str]:
        with consumer_db.transaction() as session:
            return list(session.scalars(select(ProcessedMessage.message_id)))

    with running(make_consumer(processed_retention=timedelta(days=30))):
        wait_until(lambda: remembered() == ["new"], message="old message id forgotten")


def test_retention_periods_come_from_the_environment(tmp_path):
    env = {
        "TODO_VAR_DIR": str(tmp_path),
        "OUTBOX_RETENTION_DAYS": "3",
        "PROCESSED_MESSAGE_RETENTION_DAYS": "60",
        "MAIL_RETENTION_DAYS": "14",
        "REGISTRATION_IDEMPOTENCY_RETENTION_HOURS": "6",
    }
    config = Config.from_env(env)
    assert (config.outbox_retention_days, config.processed_message_retention_days) == (3, 60)
    assert NotifySettings.from_env(env).mail_retention_days == 14
    assert RegistrationSettings.from_env(env).idempotency_retention_hours == 6
    defaults = Config.from_env({"TODO_VAR_DIR": str(tmp_path)})
    assert (defaults.outbox_retention_days, defaults.processed_message_retention_days) == (7, 30)
