"""Every service's handlers are wired the same way: one table bound by shared code."""

from __future__ import annotations

import pytest

from shared.config import SERVICES
from shared.consumer import bind_handlers
from shared.pages.organisers import SESSIONS_REVOKED
from shared.service import load_service
from shared.topology import QUEUES


def test_each_consuming_queue_has_a_handler_for_exactly_its_routing_keys(make_config):
    config = make_config()
    wired = {}
    for name in SERVICES:
        wired |= load_service(name).consumer_handlers(config)

    assert {spec.name for spec in wired} == {spec.name for spec in QUEUES}
    for spec, by_key in wired.items():
        assert set(by_key) == set(spec.routing_keys), spec.name
    revocations = {spec.name for spec, by_key in wired.items() if SESSIONS_REVOKED in by_key}
    assert revocations == {"registration.organisers", "notify.organisers"}


def test_a_table_missing_a_routing_key_is_refused_before_consuming():
    def on_release(session, envelope, deps):
        raise AssertionError("not called")

    with pytest.raises(ValueError, match=r"schedule\.live\.updated"):
        bind_handlers({"notify.programme": {"schedule.release.published": on_release}}, None)


def test_bound_handlers_get_their_dependencies():
    seen = []

    def on_release(session, envelope, deps):
        seen.append((session, envelope, deps))

    bound = bind_handlers(
        {"registration.programme": {"schedule.release.published": on_release}}, "deps"
    )
    (handler,) = next(iter(bound.values())).values()
    handler("session", "envelope")

    assert seen == [("session", "envelope", "deps")]
