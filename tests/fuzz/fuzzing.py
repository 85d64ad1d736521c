"""Fuzz every operation of a service's OpenAPI document with schemathesis' strategies.

(schemathesis' pytest integration `from_fixture` does not work with pytest 9, so each operation's
strategy is driven by Hypothesis directly.)
"""

from __future__ import annotations

import zlib

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.fuzz.conftest import REQUESTS, examples

CHECKS = [not_a_server_error, response_schema_conformance]


def fuzz_service(fuzz_target, service: str) -> list[str]:
    """Run every operation; returns one line per operation that failed a check."""
    app, token, event = fuzz_target
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert operations, f"{service}'s OpenAPI document lists no operation to fuzz"
    per_operation = examples(len(operations))
    failures = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=per_operation,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
            print_blob=False,
        )
        def run(case):
            parameters = case.path_parameters or {}
            # Half of the cases are pointed at the seeded event (and session 1), so they reach
            # past the 404 of an unknown event.
            if "event" in parameters and zlib.crc32(repr((case.body, case.query)).encode()) % 2:
                parameters["event"] = event
                for name in ("session_id", "session"):
                    if name in parameters:
                        parameters[name] = 1
            REQUESTS[service] += 1
            case.call_and_validate(
                headers={"Authorization": f"Bearer {token}", "Accept-Encoding": "identity"},
                checks=CHECKS,
            )

        try:
            run()
        except (Exception, BaseExceptionGroup) as exc:  # a FailureGroup is a BaseExceptionGroup
            failures.append(f"{operation.label}: {str(exc)[:1500]}")
    return failures
