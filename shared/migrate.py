"""Alembic migrations per service: each service keeps its chain in `services/<name>/migrations`."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command, op
from alembic.config import Config as AlembicConfig
from sqlalchemy.engine import Engine

from shared.db import Database
from shared.service import ServiceSpec


def alembic_config(spec: ServiceSpec, db: Database) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(spec.migrations_dir))
    config.set_main_option("sqlalchemy.url", db.url.replace("%", "%%"))
    config.attributes["engine"] = db.engine
    config.attributes["metadata"] = spec.base.metadata
    return config


def upgrade(spec: ServiceSpec, db: Database, revision: str = "head") -> None:
    command.upgrade(alembic_config(spec, db), revision)


def make_revision(spec: ServiceSpec, db: Database, message: str) -> None:
    """Autogenerate a migration from the difference between the models and the database."""
    command.revision(alembic_config(spec, db), message=message, autogenerate=True)


def run_migrations(context) -> None:
    """The body of every service's `migrations/env.py`."""
    config = context.config
    engine: Engine = config.attributes["engine"]
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        if sqlite:
            # Batch migrations rebuild a table (copy, drop, rename); with foreign keys on, the
            # drop would delete the rows of other tables that refer to it (ON DELETE CASCADE).
            # The pragma only takes effect outside a transaction: on the driver's connection.
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        try:
            context.configure(
                connection=connection,
                target_metadata=config.attributes["metadata"],
                render_as_batch=sqlite,
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        raise RuntimeError(f"migration broke foreign keys: {broken[:5]}")
            connection.commit()
        finally:
            if sqlite:
                connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")


def never_reuse_ids(*tables: str) -> None:
    """In a migration: give `tables` ids that are never handed out again after a delete.

    SQLite needs AUTOINCREMENT, which only CREATE TABLE can declare, so each table is rebuilt
    (the copy keeps every row, and the new sequence starts after the highest id). PostgreSQL's
    sequences never go back already."""
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in tables:
        with op.batch_alter_table(
            table, recreate="always", table_kwargs={"sqlite_autoincrement": True}
        ):
            pass


def allow_reused_ids(*tables: str) -> None:
    """The downgrade of `never_reuse_ids`."""
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in tables:
        with op.batch_alter_table(table, recreate="always"):
            pass


def create_rate_counters() -> None:
    """The table of `shared.ratelimit.RateCounterMixin`, as every service keeps it."""
    op.create_table(
        "rate_counters",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("window", sa.BigInteger(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("previous_hits", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_counters")),
    )
    op.create_index(op.f("ix_rate_counters_expires_at"), "rate_counters", ["expires_at"])
