"""Real PostgreSQL databases and RabbitMQ virtual hosts for tests, benchmarks and drills, created
fresh and dropped after.

Every test gets its own PostgreSQL database (or SQLite file) with the service's migrations applied,
and every test session its own RabbitMQ vhost, so tests can run in parallel (pytest-xdist) and
beside a running `make run` without seeing each other's data or messages.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import psycopg
from sqlalchemy.engine import make_url

import shared.db
import shared.migrate
from shared.db import Database
from shared.migrate import upgrade
from shared.service import load_service

PG_ADMIN_URL = os.environ.get("TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
AMQP_HOST = os.environ.get("TEST_AMQP_HOST", "guest:guest@127.0.0.1:5672")


def unique_name(prefix: str) -> str:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return f"{prefix}_{worker}_{uuid.uuid4().hex[:10]}"


def create_pg_database(prefix: str) -> str:
    name = unique_name(prefix)
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return _pg_url(name)


def drop_pg_database(url: str) -> None:
    name = make_url(url).database
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def migrated_database(service: str, url: str) -> Database:
    db = Database(url)
    upgrade(load_service(service), db)
    return db


def _migrations_digest(service: str) -> str:
    """Names a template by the code that builds it: the service's migrations and the shared
    helpers they use."""
    digest = hashlib.sha256()
    sources = sorted(load_service(service).migrations_dir.rglob("*.py"))
    for path in [*sources, Path(shared.migrate.__file__), Path(shared.db.__file__)]:
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def _pg_url(name: str) -> str:
    return (
        make_url(PG_ADMIN_URL)
        .set(drivername="postgresql+psycopg", database=name)
        .render_as_string(hide_password=False)
    )


def _pg_template(service: str) -> str:
    """A database migrated once per version of the migrations; parallel test processes wait for
    the one that builds it, and a half-built one is never used (built under another name)."""
    name = f"todo_template_{service}_{_migrations_digest(service)}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(hashtext(%s))", [name])
        try:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                return name
            building = unique_name(f"todo_building_{service}")
            conn.execute(f'CREATE DATABASE "{building}"')
            migrated_database(service, _pg_url(building)).dispose()
            conn.execute(f'ALTER DATABASE "{building}" RENAME TO "{name}"')
            return name
        finally:
            conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", [name])


def _sqlite_template(service: str) -> Path:
    path = (
        Path(tempfile.gettempdir())
        / "todo-templates"
        / f"{service}-{_migrations_digest(service)}.db"
    )
    if not path.exists():
        path.parent.mkdir(exist_ok=True)
        building = path.with_name(f"{uuid.uuid4().hex}.building")
        migrated_database(service, f"sqlite:///{building}").dispose()
        os.replace(building, path)
    return path


@contextlib.contextmanager
def database_factory(directory: Path) -> Iterator[Callable[..., Database]]:
    """make(service, backend="postgresql"|"sqlite") -> a new migrated Database, as many as
    wanted; every one is dropped at the end."""
    created: list[tuple[Database, str]] = []

    def make(service: str, backend: str = "postgresql") -> Database:
        db = copy_of_migrated_database(service, backend, directory)
        created.append((db, backend))
        return db

    try:
        yield make
    finally:
        for db, backend in created:
            db.dispose()
            if backend == "postgresql":
                drop_pg_database(db.url)


def copy_of_migrated_database(service: str, backend: str, directory: Path) -> Database:
    """A new database with the service's migrations applied, copied from a template that was
    migrated once: copying takes a fraction of running every migration for every test.
    SQLite files go to `directory`."""
    if backend == "sqlite":
        path = directory / f"{service}-{uuid.uuid4().hex[:8]}.db"
        shutil.copyfile(_sqlite_template(service), path)
        path.chmod(0o600)
        return Database(f"sqlite:///{path}")
    name = unique_name(f"t_{service}")
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{_pg_template(service)}"')
    return Database(_pg_url(name))


def rabbitmqctl(*args: str, timeout: float = 60) -> str:
    result = subprocess.run(
        ["rabbitmqctl", *args], capture_output=True, text=True, timeout=timeout, check=True
    )
    return result.stdout


def create_vhost() -> tuple[str, str]:
    vhost = unique_name("todo_test")
    rabbitmqctl("add_vhost", vhost)
    rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    return vhost, f"amqp://{AMQP_HOST}/{quote(vhost, safe='')}"


def delete_vhost(vhost: str) -> None:
    subprocess.run(["rabbitmqctl", "delete_vhost", vhost], capture_output=True, timeout=60)


@contextlib.contextmanager
def private_vhost() -> Iterator[str]:
    """The AMQP URL of a new vhost, deleted afterwards: for whole platforms, whose consumers
    must see neither messages left by other tests nor other tests' consumers on their queues."""
    vhost, url = create_vhost()
    try:
        yield url
    finally:
        delete_vhost(vhost)


def port_open(port: int) -> bool:
    """Whether something on this machine listens on `port`."""
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def wait_until(condition, timeout: float = 20.0, interval: float = 0.05, message: str = ""):
    """Poll `condition` until it returns a truthy value; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {message or condition}")
        time.sleep(interval)
