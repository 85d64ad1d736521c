"""A PostgreSQL failover as the registration service sees it (issue 15): the database URL in
psycopg's multi-host form, a host that does not answer passed over, and a server that takes no
writes (a standby, or the old primary) answered with 503 and Retry-After, never 500, until the
primary is back; then registration goes on without a restart."""

from __future__ import annotations

import psycopg
from sqlalchemy import make_url, text

from harness.infra import PG_ADMIN_URL
from harness.stack import free_port
from shared.db import Database, _multi_host_as_parameters, direct_connection
from tests.support.registration import EVENT, session_info

URL = f"/api/v1/events/{EVENT}/registrations"


def multi_host(url: str, first_port: int) -> str:
    """`url` with a host that does not answer before its own, in libpq's multi-host form."""
    parsed = make_url(url)
    return (
        f"postgresql://{parsed.username}@127.0.0.1:{first_port},{parsed.host}:{parsed.port or 5432}"
        f"/{parsed.database}?target_session_attrs=read-write"
    )


def test_libpq_multi_host_urls_become_host_parameters():
    assert _multi_host_as_parameters(
        "postgresql://todo:pw@primary:5432,standby:5432/registration?target_session_attrs=read-write"
    ) == (
        "postgresql://todo:pw@/registration?host=primary:5432&host=standby:5432"
        "&target_session_attrs=read-write"
    )
    for single in ("postgresql+psycopg://todo@db:5432/x?sslmode=require", "sqlite:///var/x.db"):
        assert _multi_host_as_parameters(single) == single


def test_the_first_host_that_takes_writes_is_used(registration_db):
    database = Database(multi_host(registration_db.url, free_port()))
    with database.transaction() as session:
        assert session.execute(text("SELECT NOT pg_is_in_recovery()")).scalar()
        session.execute(text("CREATE TEMPORARY TABLE written (n int)"))
    database.dispose()


def test_listen_and_notify_connections_go_to_the_same_host_as_the_pool(registration_db):
    """The relays' and mail senders' LISTEN connection and the outbox's NOTIFY connection are
    made outside the pool: from a multi-host URL too (the drill found them unable to)."""
    database = Database(multi_host(registration_db.url, free_port()))
    with (
        direct_connection(database.engine) as listener,
        direct_connection(database.engine) as waker,
    ):
        listener.execute('LISTEN "failover_test"')
        waker.execute("SELECT pg_notify('failover_test', 'hello')")
        [notification] = list(listener.notifies(timeout=5, stop_after=1))
    assert notification.payload == "hello"
    database.dispose()


def set_read_only(database_name: str, read_only: bool) -> None:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        if read_only:
            admin.execute(
                f'ALTER DATABASE "{database_name}" SET default_transaction_read_only = on'
            )
        else:
            admin.execute(f'ALTER DATABASE "{database_name}" RESET default_transaction_read_only')
        # Connections made before keep their setting, as a demoted primary's would not: end them.
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (database_name,),
        )


def registration(email: str) -> dict:
    return {"name": "Eda", "email": email, "sessions": [1], "locale": "de", "consent": True}


def test_while_the_database_takes_no_writes_registering_answers_503_then_goes_on(
    registration_db, publish_release, make_app
):
    publish_release(registration_db, 1, [session_info(1, capacity=10)])
    client = make_app(registration_db).test_client()
    assert client.post(URL, json=registration("before@example.org")).status_code == 201
    name = make_url(registration_db.url).database

    set_read_only(name, True)
    try:
        during = client.post(URL, json=registration("during@example.org"))
        assert during.status_code == 503, during.text
        assert during.headers["Retry-After"] == "5"
        # Reads still work on a standby.
        assert client.get(f"/api/v1/events/{EVENT}/sessions/1/availability").status_code == 200
    finally:
        set_read_only(name, False)

    after = client.post(URL, json=registration("during@example.org"))
    assert after.status_code == 201, after.text
