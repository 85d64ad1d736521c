"""Existing data when organisations arrive (issue 12): tokens and accounts stored before are
platform administrators, as every one of them was, and events belong to no organisation, so
nothing anyone could do before is refused or allowed differently after the migration."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import select, text

from shared.auth import find_token, hash_token
from shared.config import SERVICES
from shared.migrate import alembic_config
from shared.organisations import event_owner
from shared.service import load_service

# Each service's revision before organisations.
BEFORE_ORGANISATIONS = {
    "schedule": "d3f7b2a9c1e8",
    "registration": "e9a4c6b2d8f1",
    "notify": "e2b9d7c5a3f1",
}
TOKEN = "todo_existing-token-of-the-operator"


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
@pytest.mark.parametrize("service", SERVICES)
def test_existing_tokens_and_accounts_stay_administrators(make_database, service, backend):
    db = make_database(service, backend)
    spec = load_service(service)
    config = alembic_config(spec, db)
    command.downgrade(config, BEFORE_ORGANISATIONS[service])
    created = datetime(2026, 11, 1, tzinfo=UTC)
    with db.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO api_tokens (token_hash, name, created_at, expires_at) "
                "VALUES (:hash, 'ops', :created, :expires)"
            ),
            {
                "hash": hash_token(TOKEN),
                "created": created,
                "expires": created + timedelta(days=365),
            },
        )
        if service == "schedule":
            connection.execute(
                text(
                    "INSERT INTO organiser_accounts (name, password_hash, created_at, "
                    "password_changed_at) VALUES ('erika', 'x', :created, :created)"
                ),
                {"created": created},
            )
    command.upgrade(config, "head")

    with db.transaction() as session:
        token = find_token(session, spec.tokens, TOKEN)
        assert token.principal().administrator
        assert (token.organisation, token.role, token.events) == (None, None, [])
        # No event has an owner: only administrators act on those that exist.
        assert session.scalars(select(spec.event_owners)).all() == []
        assert event_owner(session, spec.event_owners, "todo2024") is None
        if service == "schedule":
            account = session.get(spec.organiser_accounts, "erika")
            assert account.principal().administrator and account.events == []
            assert account.email is None and account.password_link_hash is None
