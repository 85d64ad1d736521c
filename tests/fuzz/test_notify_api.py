"""Fuzzing the notify service, whose HTTP interface is the calendar feeds: schemathesis through
the OpenAPI document that describes them, and Hypothesis on the raw paths (any event, track, day
or token, with or without conditional headers, gets an answer below 500, and every 200 is a
calendar)."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.fuzzing import REQUESTS, fuzz_service

SERVICE = "notify"
pytestmark = pytest.mark.slow

segment = st.one_of(
    st.sampled_from(["bench", "digitalisierung", "2024-04-29", "2024-02-30", "token-00000001"]),
    st.text(st.characters(codec="utf-8", exclude_characters="/?#"), min_size=1, max_size=40),
)
routes = st.sampled_from(
    [
        "/{a}/calendar.ics",
        "/{a}/calendar/tracks/{b}.ics",
        "/{a}/calendar/days/{b}.ics",
        "/{a}/calendar/personal/{b}.ics",
    ]
)
conditional = st.one_of(
    st.just({}),
    st.builds(lambda tag: {"If-None-Match": tag}, st.text(max_size=60)),
    st.builds(lambda date: {"If-Modified-Since": date}, st.text(max_size=40)),
    st.just({"Accept-Encoding": "gzip"}),
)


def test_notify_api_answers_every_generated_request_within_its_schema(fuzz_target, fuzz_counts):
    failures = fuzz_service(fuzz_target, SERVICE)
    assert not failures, "\n\n".join(failures)


def test_notify_feeds_answer_any_path_below_500(fuzz_target, fuzz_counts):
    app, _token, _event = fuzz_target
    client = app.test_client()
    budget = int(os.environ.get("FUZZ_REQUESTS_PER_SERVICE", "0")) or 60

    @given(route=routes, a=segment, b=segment, headers=conditional)
    @settings(
        max_examples=budget,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def run(route, a, b, headers):
        path = route.format(a=a, b=b)
        REQUESTS[SERVICE] += 1
        try:
            response = client.get(path, headers=headers)
        except (UnicodeError, ValueError):
            return  # the test client refuses to send this (say, a line break in a header)
        assert response.status_code < 500, (path, headers, response.status_code)
        if response.status_code == 200:
            assert response.mimetype == "text/calendar", path

    run()
