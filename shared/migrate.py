"""Alembic migrations per service: each service keeps its chain in `services/<name>/migrations`."""

from __future__ import annotations

from alembic import command
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
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=config.attributes["metadata"],
            render_as_batch=engine.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
