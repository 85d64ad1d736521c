"""The first requests of a fresh gunicorn worker arrive on several threads at once: each must get
a database session (a race here answered 500 at the start of the registration benchmark)."""

from __future__ import annotations

import stat
import threading
import time

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import func, inspect, select, text

import shared.db
from shared.auth import new_token, store_token
from shared.config import Config
from shared.db import Database
from shared.service import load_service


def test_concurrent_first_sessions_all_succeed(tmp_path, monkeypatch):
    real_sessionmaker = shared.db.sessionmaker

    def slow_sessionmaker(*args, **kwargs):
        time.sleep(0.2)  # widen the window between creating the engine and its session factory
        return real_sessionmaker(*args, **kwargs)

    monkeypatch.setattr(shared.db, "sessionmaker", slow_sessionmaker)
    db = Database(f"sqlite:///{tmp_path / 'race.db'}")
    errors: list[BaseException] = []

    def first_request():
        try:
            db.session().close()
        except BaseException as exc:  # the race raised AssertionError
            errors.append(exc)

    threads = [threading.Thread(target=first_request) for _ in range(8)]
    threads[0].start()
    # The others arrive while the first is still setting up the engine.
    while db._engine is None and threads[0].is_alive():
        time.sleep(0.001)
    for thread in threads[1:]:
        thread.start()
    for thread in threads:
        thread.join()
    db.dispose()
    assert errors == []


# -- ids are never handed out twice --------------------------------------------------------------

# Tables whose ids other services copy (or that reach attendees, as mail ids do).
NEVER_REUSED = {
    "schedule": ("events", "stages", "tracks", "speakers", "sessions", "releases"),
    "registration": ("attendees", "tickets"),
    "notify": ("outgoing_mail", "attendee_messages"),
}


def newest_id(db, table: str) -> int:
    with db.engine.connect() as connection:
        return connection.exec_driver_sql(f"SELECT max(id) FROM {table}").scalar_one()


def delete_rows(db, *statements: str) -> None:
    with db.transaction() as session:
        for statement in statements:
            session.execute(text(statement))


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
def test_schedule_never_reuses_the_ids_of_deleted_sessions_and_speakers(
    make_database, make_config, backend
):
    from services.schedule.app import create_app
    from tests.support.seeds import seed_schedule

    db = make_database("schedule", backend)
    seed_schedule(db)
    token = new_token()
    with db.transaction() as session:
        store_token(session, load_service("schedule").tokens, "ids", token)
    client = create_app(make_config(schedule_db=db)).test_client()
    headers = {"Authorization": f"Bearer {token}"}

    speaker = client.post("/api/v1/events/bench/speakers", json={"name": "Eva"}, headers=headers)
    deleted_speaker = speaker.get_json()["id"]
    assert (
        client.delete(
            f"/api/v1/events/bench/speakers/{deleted_speaker}", headers=headers
        ).status_code
        == 204
    )
    again = client.post("/api/v1/events/bench/speakers", json={"name": "Eva"}, headers=headers)
    assert again.get_json()["id"] > deleted_speaker

    deleted_session = newest_id(db, "sessions")
    delete_rows(db, f"DELETE FROM sessions WHERE id = {deleted_session}")
    created = client.post(
        "/api/v1/events/bench/sessions",
        json={
            "title": "Neu",
            "stage": "stage-1",
            "starts_at": "2031-01-01T10:00:00+01:00",
            "ends_at": "2031-01-01T11:00:00+01:00",
        },
        headers=headers,
    )
    assert created.status_code == 201, created.get_data(as_text=True)
    assert created.get_json()["id"] > deleted_session


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
def test_registration_never_reuses_the_ids_of_deleted_attendees_and_tickets(
    make_database, make_config, backend
):
    from bench.registration_rush import EVENT, SESSION_ID, load_programme
    from services.registration.app import create_app

    db = make_database("registration", backend)
    load_programme(db, 40)
    client = create_app(make_config(registration_db=db)).test_client()

    def register(email: str) -> int:
        response = client.post(
            f"/api/v1/events/{EVENT}/registrations",
            json={"name": "Eva", "email": email, "sessions": [SESSION_ID], "consent": True},
        )
        assert response.status_code == 201, response.get_data(as_text=True)
        return newest_id(db, "attendees")

    register("first@example.org")
    attendee, ticket = register("second@example.org"), newest_id(db, "tickets")
    delete_rows(
        db,
        f"UPDATE seats SET ticket_id = NULL WHERE ticket_id = {ticket}",
        f"DELETE FROM tickets WHERE attendee_id = {attendee}",
        f"DELETE FROM attendees WHERE id = {attendee}",
    )
    assert register("third@example.org") > attendee
    assert newest_id(db, "tickets") > ticket


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
def test_notify_never_reuses_the_ids_of_deleted_mails(make_database, make_config, backend):
    from bench.notify_move import ticket
    from tests.support.seeds import deliver_to_notify, seed_notify

    db = make_database("notify", backend)
    config = make_config(notify_db=db)
    seed_notify(db, config)
    deleted = newest_id(db, "outgoing_mail")
    delete_rows(db, f"DELETE FROM outgoing_mail WHERE id = {deleted}")
    deliver_to_notify(db, config, "notify.tickets", "registration.ticket.confirmed", ticket(2))
    assert newest_id(db, "outgoing_mail") > deleted


@pytest.mark.parametrize("service", sorted(NEVER_REUSED))
def test_migrating_sqlite_to_autoincrement_keeps_every_row(make_database, make_config, service):
    """The migration rebuilds tables that others refer to with ON DELETE CASCADE: no row of
    any table may go with the rebuild, down and up again."""
    from alembic import command

    from shared.migrate import alembic_config
    from tests.support import seeds

    db = make_database(service, "sqlite")
    spec = load_service(service)
    {
        "schedule": lambda: seeds.seed_schedule(db),
        "registration": lambda: seeds.seed_registration(db),
        "notify": lambda: seeds.seed_notify(db, make_config(notify_db=db)),
    }[service]()

    def rows() -> dict[str, int]:
        """Rows per table that has any (newer tables are absent after the downgrade)."""
        with db.engine.connect() as connection:
            present = set(inspect(connection).get_table_names())
            counts = {
                table.name: connection.execute(select(func.count()).select_from(table)).scalar()
                for table in spec.base.metadata.sorted_tables
                if table.name in present
            }
        return {name: count for name, count in counts.items() if count}

    def autoincrement() -> set[str]:
        with db.engine.connect() as connection:
            found = connection.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE '%AUTOINCREMENT%'"
            )
            return {name for (name,) in found}

    seeded = rows()
    assert autoincrement() == set(NEVER_REUSED[service])
    ids_migration = next(
        script.revision
        for script in ScriptDirectory.from_config(alembic_config(spec, db)).walk_revisions()
        if script.doc.startswith("ids are never reused")
    )
    command.downgrade(alembic_config(spec, db), f"{ids_migration}-1")
    with db.engine.connect() as connection:
        present = set(inspect(connection).get_table_names())
    # Tables newer than the rebuild are gone with the downgrade; every other keeps its rows.
    kept = {name: count for name, count in seeded.items() if name in present}
    assert autoincrement() == set() and rows() == kept
    command.upgrade(alembic_config(spec, db), "head")
    assert autoincrement() == set(NEVER_REUSED[service]) and rows() == kept


def test_sqlite_files_are_private_to_their_owner(tmp_path):
    """As `make run` starts: the configuration (which keeps the session key in var/) first."""
    var = tmp_path / "var"
    config = Config.from_env({"TODO_VAR_DIR": str(var)})
    db = Database(config.database_url("registration"))
    with db.transaction() as session:
        session.execute(text("CREATE TABLE people (name TEXT)"))
        session.execute(text("INSERT INTO people VALUES ('Eva')"))
    files = [var / "registration.db", var / "registration.db-wal", var / "registration.db-shm"]
    modes = {path.name: stat.S_IMODE(path.stat().st_mode) for path in files}
    db.dispose()
    assert stat.S_IMODE(var.stat().st_mode) == 0o700
    assert modes == dict.fromkeys(modes, 0o600)


def test_an_older_world_readable_sqlite_file_is_made_private(tmp_path):
    path = tmp_path / "notify.db"
    path.touch(mode=0o644)
    path.chmod(0o644)
    db = Database(f"sqlite:///{path}")
    db.session().close()
    db.dispose()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
