"""Each service's migrations build exactly the tables its models describe."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from shared.config import SERVICES
from shared.service import load_service


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
@pytest.mark.parametrize("service", SERVICES)
def test_migrations_match_the_models(make_database, service, backend):
    db = make_database(service, backend)
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, load_service(service).base.metadata) == []
