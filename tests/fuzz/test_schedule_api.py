"""Schemathesis against the schedule service's OpenAPI document, with an organiser token and every
check but one (see tests/support/fuzzing.py), on valid, invalid and odd requests (a few cases per
operation here; `python -m drills fuzz` runs many)."""

from __future__ import annotations

import pytest

from tests.support.fuzzing import fuzz_service

SERVICE = "schedule"
pytestmark = pytest.mark.slow


def test_schedule_api_answers_every_generated_request_within_its_schema(fuzz_target, fuzz_counts):
    failures = fuzz_service(fuzz_target, SERVICE)
    assert not failures, "\n\n".join(failures)
