"""The audit log (issue 12) in the tests: the two organisations' `World`, and a service's log
read back from its database."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import func, select

from harness.infra import database_factory
from services.registration.models import AuditEntry as RegistrationAuditEntry
from services.schedule.models import AuditEntry as ScheduleAuditEntry
from shared.config import Config
from tests.support.organisations import World

# Browsers reading the log page in either language.
GERMAN = {"Accept": "text/html", "Accept-Language": "de"}
ENGLISH = {"Accept": "text/html", "Accept-Language": "en"}
AUDIT_ENTRIES = {"schedule": ScheduleAuditEntry, "registration": RegistrationAuditEntry}


@contextlib.contextmanager
def world_in(directory: Path, amqp_url: str) -> Iterator[World]:
    """`tests.support.organisations.World` on databases of its own under `directory`."""
    base = Config.from_env(
        {"TODO_VAR_DIR": str(directory / "var"), "TODO_TESTING": "1"}
    ).with_overrides(amqp_url=amqp_url, testing=True)
    with database_factory(directory) as make_database:
        world = World(make_database, base)
        try:
            yield world
        finally:
            world.close()


def last_entry_id(world: World, service: str) -> int:
    """The id of `service`'s newest audit entry (0 if none): what `entries_after` starts from."""
    model = AUDIT_ENTRIES[service]
    with world.dbs[service].transaction() as session:
        return session.scalar(select(func.coalesce(func.max(model.id), 0)))


def entries_after(world: World, service: str, after: int = 0) -> list[dict]:
    """`service`'s audit entries with an id above `after`, in the order they were recorded."""
    model = AUDIT_ENTRIES[service]
    with world.dbs[service].transaction() as session:
        rows = session.scalars(select(model).where(model.id > after).order_by(model.id)).all()
        return [{"id": row.id, **row.values()} for row in rows]
