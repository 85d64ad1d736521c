"""Real PostgreSQL databases and RabbitMQ virtual hosts for tests, benchmarks and drills, created
fresh and dropped after.

Every test gets its own PostgreSQL database (or SQLite file) with the service's migrations applied,
and every test session its own RabbitMQ vhost, so tests can run in parallel (pytest-xdist) and
beside a running `make run` without seeing each other's data or messages.
"""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from urllib.parse import quote

import psycopg
from sqlalchemy.engine import make_url

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
    return (
        make_url(PG_ADMIN_URL)
        .set(drivername="postgresql+psycopg", database=name)
        .render_as_string(hide_password=False)
    )


def drop_pg_database(url: str) -> None:
    name = make_url(url).database
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def migrated_database(service: str, url: str) -> Database:
    db = Database(url)
    upgrade(load_service(service), db)
    return db


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
