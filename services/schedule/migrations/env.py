from alembic import context

from shared.migrate import run_migrations

run_migrations(context)
