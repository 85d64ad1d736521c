"""SQLAlchemy engine and sessions for one service's database.

SQLite (the embedded default) runs in WAL mode with a busy timeout and immediate transactions,
so concurrent writers queue on the database lock instead of failing; PostgreSQL goes through
psycopg 3. Nothing connects until first use, so gunicorn workers and worker processes each open
their own connections after forking.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from psycopg.errors import ReadOnlySqlTransaction
from sqlalchemy import DateTime, MetaData, Table, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.sql.dml import Insert
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SQLITE_BUSY_TIMEOUT_MS = 30_000

# `__table_args__` of every table whose ids other services copy (or that reach attendees): SQLite
# hands out max(id) + 1 and so gives a deleted row's id to the next row, which the copies then
# take for the old one; with AUTOINCREMENT it never goes back, as PostgreSQL's sequences.
IDS_NEVER_REUSED = {"sqlite_autoincrement": True}

# The database is unreachable or went away mid-transaction: wait and try again, it is no bug.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timezone-aware datetime stored in UTC; SQLite gives naive values back, this mends them."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes cannot be stored; give a time zone")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def make_base() -> type[DeclarativeBase]:
    """A declarative base with its own metadata: one per service."""

    class Base(DeclarativeBase):
        metadata = MetaData(naming_convention=NAMING_CONVENTION)

    return Base


def insert_ignoring_duplicates(table: Table, dialect_name: str) -> Insert:
    """`INSERT ... ON CONFLICT DO NOTHING` on PostgreSQL and SQLite alike: a row whose unique key
    exists already is skipped (on PostgreSQL after waiting for a concurrent insert of it)."""
    module = postgresql if dialect_name == "postgresql" else sqlite
    return module.insert(table).on_conflict_do_nothing()


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


# psycopg's (libpq's) multi-host form, "postgresql://user@primary:5432,standby:5432/db?...",
# which SQLAlchemy's URL parser cannot read; it takes the hosts as repeated `host` parameters.
_MULTI_HOST_URL = re.compile(
    r"^(?P<scheme>[\w+]+)://(?:(?P<userinfo>[^@/?]*)@)?(?P<hosts>[^/?@]*,[^/?@]*)"
    r"(?P<path>/[^?]*)?(?:\?(?P<query>.*))?$"
)


def _multi_host_as_parameters(url: str) -> str:
    """ "postgresql://u@a:5432,b:5432/db?x=1" -> "postgresql://u@/db?host=a:5432&host=b:5432&x=1"."""
    match = _MULTI_HOST_URL.match(url)
    if match is None:
        return url
    hosts = "&".join(f"host={host}" for host in match["hosts"].split(",") if host)
    userinfo = f"{match['userinfo']}@" if match["userinfo"] is not None else ""
    query = f"{hosts}&{match['query']}" if match["query"] else hosts
    return f"{match['scheme']}://{userinfo}{match['path'] or '/'}?{query}"


def _normalise_url(url: str) -> str:
    url = _multi_host_as_parameters(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return url


def _private_sqlite_file(path: Path) -> None:
    """Attendees' names and addresses live in these files: create the directory owner-only
    (0700) and the file owner-only (0600) before SQLite would create it world-readable under the
    usual umask (a stricter umask still applies). A file from before loses group and other
    access; its -wal and -shm files too, which SQLite creates with the database's mode."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
    for existing in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        with contextlib.suppress(FileNotFoundError):
            mode = existing.stat().st_mode & 0o777
            if mode & 0o077:
                existing.chmod(mode & 0o700)


def direct_connection(engine: Engine):
    """A PostgreSQL connection of its own, outside the pool, in autocommit (LISTEN, NOTIFY): to
    the server the pool's connections go to, with the same hosts of a multi-host URL and the
    same `target_session_attrs`, as the dialect has them."""
    args, parameters = engine.dialect.create_connect_args(engine.url)
    return psycopg.connect(*args, **parameters, autocommit=True)


def create_db_engine(url: str, *, pool_size: int = 10) -> Engine:
    url = _normalise_url(url)
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            _private_sqlite_file(Path(database))
        engine = create_engine(
            url,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            # Let SQLAlchemy, not pysqlite, decide when transactions begin (see below).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin_immediate(conn):
            # Take the write lock at BEGIN: a deferred transaction that reads and then writes
            # can fail with "database is locked" instead of waiting for the busy timeout.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    engine = create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        pool_recycle=1800,
    )

    @event.listens_for(engine, "handle_error")
    def _reconnect_after_failover(context):
        # Connected to a server that takes no writes (a standby, or with several hosts and
        # target_session_attrs=read-write the old primary after a failover): the pool is
        # dropped as after a lost connection, so that the next transaction looks for the
        # primary again, and the error is one of DATABASE_UNAVAILABLE (503, message requeued).
        if isinstance(context.original_exception, ReadOnlySqlTransaction):
            context.is_disconnect = True
            return OperationalError(
                context.statement,
                context.parameters,
                context.original_exception,
                connection_invalidated=True,
            )
        return None

    return engine


class Database:
    """Engine and session factory of one service, created lazily on first use."""

    def __init__(self, url: str, *, pool_size: int = 10):
        self.url = _normalise_url(url)
        self.pool_size = pool_size
        self._engine: Engine | None = None
        self._sessionmaker: sessionmaker[Session] | None = None
        self._lock = threading.Lock()

    def _connect(self) -> sessionmaker[Session]:
        # gthread workers serve their first requests concurrently: create everything once.
        with self._lock:
            if self._sessionmaker is None:
                self._engine = create_db_engine(self.url, pool_size=self.pool_size)
                self._sessionmaker = sessionmaker(self._engine, expire_on_commit=False)
            return self._sessionmaker

    @property
    def engine(self) -> Engine:
        self._connect()
        return self._engine

    @property
    def is_sqlite(self) -> bool:
        return is_sqlite(self.url)

    def session(self) -> Session:
        return (self._sessionmaker or self._connect())()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work is committed on success and rolled back on any error."""
        session = self.session()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        with self._lock:
            if self._engine is not None:
                self._engine.dispose()
            self._engine = None
            self._sessionmaker = None
