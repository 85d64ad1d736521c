"""The three services in process on fresh PostgreSQL databases, joined by delivering each
outbox message to the consuming service's handlers (what relay + consumer do, without the broker),
and a real SMTP server that captures the raw mail."""

from __future__ import annotations

import pytest

from bench.common import SmtpSink
from tests.support.security import Platform, release


@pytest.fixture
def smtp():
    with SmtpSink() as sink:
        yield sink


@pytest.fixture
def platform(make_database, make_config, smtp):
    platform = Platform(make_database, make_config, smtp)
    platform.publish_release(release())
    yield platform
    for app in platform.apps.values():
        app.extensions["todo_db"].dispose()
