"""The relays hear of committed outbox rows: NOTIFY is sent after the commit, outside it."""

from __future__ import annotations

import psycopg
from sqlalchemy.engine import make_url

from services.schedule.models import OutboxMessage
from shared.outbox import add_message, notify_channel
from tests.support.backbone import MESSAGE_TYPE, live_data


def listening(db) -> psycopg.Connection:
    url = make_url(db.url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = psycopg.connect(url, autocommit=True)
    connection.execute(f'LISTEN "{notify_channel(OutboxMessage.__tablename__)}"')
    return connection


def test_committed_messages_wake_the_relays(producer_db):
    with listening(producer_db) as listener:
        for n in range(20):
            with producer_db.transaction() as session:
                add_message(session, OutboxMessage, MESSAGE_TYPE, live_data(n), aggregate="main")
        woken = list(listener.notifies(timeout=10, stop_after=1))
        assert woken and {w.channel for w in woken} == {"outbox_ready"}
