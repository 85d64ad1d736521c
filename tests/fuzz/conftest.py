"""Each service's app with a migrated PostgreSQL database, some published data and an organiser
token, for schemathesis to fuzz through its OpenAPI document (in process, WSGI)."""

from __future__ import annotations

import json
import os

import pytest
import schemathesis

from tests.support.fuzzing import REQUESTS, make_target


@pytest.fixture(scope="session")
def fuzz_counts():
    yield REQUESTS
    report = os.environ.get("FUZZ_REPORT")
    if report:
        with open(report, "w") as out:
            json.dump(dict(REQUESTS), out)


@pytest.fixture(scope="module")
def fuzz_target(request, amqp_url, tmp_path_factory):
    """(app, organiser token, event slug) of the service named by the module's SERVICE."""
    with make_target(request.module.SERVICE, amqp_url, tmp_path_factory) as target:
        yield target


@pytest.fixture(scope="module")
def api_schema(fuzz_target):
    app, _token, _event = fuzz_target
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
