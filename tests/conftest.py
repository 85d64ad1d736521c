"""Fixtures shared by every test: real databases, a private RabbitMQ vhost, configs and apps.

Factory fixtures come in pairs, Indico style: `make_database` creates as many databases as a test
wants; `schedule_db`, `registration_db` and `notify_db` are one migrated PostgreSQL database each.
"""

from __future__ import annotations

import pytest

from harness.infra import create_vhost, database_factory, delete_vhost, private_vhost
from shared.config import Config


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Each phase's report on the test item (`item.report_call`), so that fixtures which start
    processes can show those processes' logs when the test itself failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def amqp_vhost():
    vhost, url = create_vhost()
    yield vhost, url
    delete_vhost(vhost)


@pytest.fixture(scope="session")
def amqp_url(amqp_vhost) -> str:
    return amqp_vhost[1]


@pytest.fixture
def private_amqp_url():
    """A vhost of the test's own, for tests that start the platform's processes."""
    with private_vhost() as url:
        yield url


@pytest.fixture
def make_database(tmp_path):
    """make_database(service, backend="postgresql"|"sqlite") -> a migrated Database."""
    with database_factory(tmp_path) as make:
        yield make


@pytest.fixture
def schedule_db(make_database):
    return make_database("schedule")


@pytest.fixture
def registration_db(make_database):
    return make_database("registration")


@pytest.fixture
def notify_db(make_database):
    return make_database("notify")


@pytest.fixture
def make_config(tmp_path, amqp_url):
    """make_config(**dbs) -> a Config pointing at the given databases and the test vhost."""

    def make(**overrides) -> Config:
        base = Config.from_env({"TODO_VAR_DIR": str(tmp_path / "var"), "TODO_TESTING": "1"})
        urls = dict(base.database_urls)
        for service in ("schedule", "registration", "notify"):
            db = overrides.pop(f"{service}_db", None)
            if db is not None:
                urls[service] = db.url
        return base.with_overrides(database_urls=urls, amqp_url=amqp_url, testing=True, **overrides)

    return make
