"""Fuzz every operation of a service's OpenAPI document with schemathesis, as `schemathesis run
--checks all` would: positive cases (valid by the document), negative cases (invalid by it) and
odd cases (valid cases with values that once gave 500s: ids beyond 64 bits, lone surrogates,
times in year 1 or 9999), each with the organiser token.

`make_target` gives the service's app on a fresh PostgreSQL database with the benchmarks' data
and an organiser token; REQUESTS counts the requests sent per service.

(schemathesis' pytest integration `from_fixture` does not work with pytest 9, so each operation's
strategy is driven by Hypothesis directly.)
"""

from __future__ import annotations

import contextlib
import os
import zlib
from collections import Counter
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from harness.infra import create_pg_database, drop_pg_database, migrated_database
from shared.auth import new_token, store_token
from shared.config import Config
from shared.service import load_service
from tests.support.seeds import seed_notify, seed_registration, seed_schedule

# Every check schemathesis has (`--checks all`) but one. positive_data_acceptance wants every
# request that the document allows answered with 2xx/404/409; the APIs answer 422 for requests
# that are well formed but that the domain refuses: sessions that do not exist, a session that
# ends before it starts or overlaps another, an address on a special-use domain (`.test`).
# JSON Schema cannot say which ids exist or compare two fields. (Run with it, it found the
# document gaps that could be closed: NUL and lone surrogates, email format, consent.)
LEFT_OUT = [positive_data_acceptance]

REQUESTS: Counter = Counter()
EVENTS = {"schedule": "bench", "registration": "rush", "notify": "bench"}

HUGE_INTS = st.sampled_from([2**31, 2**63 - 1, 2**63, 2**64, 10**30, -(2**63) - 1])
LONE_SURROGATES = st.sampled_from(["\ud800", "\udfff", "a\udc00b", "\ud83d"])
EXTREME_TIMES = st.sampled_from(
    [
        "0001-01-01T00:00:00+01:00",
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59-01:00",
        "9999-12-31T23:59:59Z",
        "0001-01-01",
        "9999-12-31",
    ]
)


def _looks_like_time(value: str) -> bool:
    return len(value) >= 10 and value[4:5] == "-" and value[7:8] == "-" and value[:4].isdigit()


def odd_value(value: Any) -> st.SearchStrategy:
    """The value itself, or an odd one of its kind (and for containers: odd members)."""
    if isinstance(value, bool) or value is None:
        return st.just(value)
    if isinstance(value, int):
        return st.one_of(st.just(value), HUGE_INTS)
    if isinstance(value, str):
        odd = [EXTREME_TIMES] if _looks_like_time(value) else []
        return st.one_of(
            st.just(value), *odd, LONE_SURROGATES.map(lambda s: value[:20] + s + value[20:])
        )
    if isinstance(value, list):
        return st.tuples(*(odd_value(item) for item in value)).map(list)
    if isinstance(value, dict):
        return st.fixed_dictionaries({key: odd_value(item) for key, item in value.items()})
    return st.just(value)


def oddified(case) -> st.SearchStrategy:
    """The case with some of its JSON body and query values made odd. Paths take ids only: a
    lone surrogate cannot be sent in a URL.

    The odd case is built anew, without the generator's metadata: schemathesis would otherwise
    revalidate the changed parts against the document, and its validator cannot encode a lone
    surrogate. So the checks that compare the answer with the generation mode (positive data
    accepted, negative data rejected) skip these cases; all the others run."""

    def apply(changes: tuple) -> Any:
        body, query, path = changes
        return case.operation.Case(
            path_parameters=path,
            headers=case.headers,
            query=query,
            body=body,
            media_type=case.media_type,
        )

    body = odd_value(case.body) if isinstance(case.body, (dict, list)) else st.just(case.body)
    query = (
        st.fixed_dictionaries(
            {k: st.one_of(st.just(v), HUGE_INTS, EXTREME_TIMES) for k, v in case.query.items()}
        )
        if case.query
        else st.just(case.query)
    )
    path = (
        st.fixed_dictionaries(
            {
                k: st.one_of(st.just(v), HUGE_INTS) if isinstance(v, int) else st.just(v)
                for k, v in case.path_parameters.items()
            }
        )
        if case.path_parameters
        else st.just(case.path_parameters)
    )
    return st.tuples(body, query, path).map(apply)


def _negatable(operation) -> bool:
    """Whether anything of the operation can be invalid: not so for free text in a path (an
    empty segment cannot be sent) or a header, and Hypothesis would search long for it."""
    free_text = {"type": "string", "minLength": 1}
    return bool(list(operation.body) or list(operation.query)) or any(
        parameter.definition.get("schema", {}) not in (free_text, {"type": "string"})
        for parameter in [*operation.path_parameters, *operation.headers]
    )


def _strategies(operation) -> list[tuple[str, st.SearchStrategy]]:
    positive = operation.as_strategy(GenerationMode.POSITIVE)
    negative = [("negative", operation.as_strategy(GenerationMode.NEGATIVE))]
    return [
        ("positive", positive),
        *(negative if _negatable(operation) else []),
        ("odd", positive.flatmap(oddified)),
    ]


@contextlib.contextmanager
def make_target(service: str, amqp_url: str, tmp_path_factory):
    """(app, organiser token, event slug) of `service` on a fresh, seeded PostgreSQL database."""
    url = create_pg_database(f"fz_{service}")
    db = migrated_database(service, url)
    config = Config.from_env(
        {"TODO_VAR_DIR": str(tmp_path_factory.mktemp("var")), "TODO_TESTING": "1"}
    ).with_overrides(database_urls={service: url}, amqp_url=amqp_url, testing=True, smtp_url="")
    {
        "schedule": lambda: seed_schedule(db),
        "registration": lambda: seed_registration(db),
        "notify": lambda: seed_notify(db, config),
    }[service]()
    token = new_token()
    with db.transaction() as session:
        store_token(session, load_service(service).tokens, "fuzz", token)
    app = load_service(service).create_app(config)
    try:
        yield app, token, EVENTS[service]
    finally:
        app.extensions["todo_db"].dispose()
        db.dispose()
        drop_pg_database(url)


def examples(operations: int) -> int:
    """Generated positive cases per API operation (and half as many negative and odd ones): a few
    in `make test`; `python -m drills fuzz` sets FUZZ_REQUESTS_PER_SERVICE and the cases are
    spread over the service's operations and the three modes."""
    per_service = int(os.environ.get("FUZZ_REQUESTS_PER_SERVICE", "0"))
    if per_service:
        return -(-per_service // (2 * operations)) + 5
    return int(os.environ.get("FUZZ_MAX_EXAMPLES", "8"))


def fuzz_service(fuzz_target, service: str) -> list[str]:
    """Run every operation in every mode; returns one line per operation and mode that failed."""
    app, _token, _event = fuzz_target
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert operations, f"{service}'s OpenAPI document lists no operation to fuzz"
    per_operation = examples(len(operations))
    failures = []
    for operation in operations:
        for mode, strategy in _strategies(operation):
            try:
                _fuzz(fuzz_target, service, mode, strategy, per_operation)
            except (Exception, BaseExceptionGroup) as exc:  # a FailureGroup is a BaseExceptionGroup
                failures.append(f"{operation.label} [{mode}]: {str(exc)[:1500]}")
    return failures


def _fuzz(fuzz_target, service: str, mode: str, strategy, per_operation: int) -> None:
    _app, token, event = fuzz_target

    @given(case=strategy)
    @settings(
        max_examples=per_operation if mode == "positive" else -(-per_operation // 2),
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
        print_blob=False,
    )
    def run(case):
        parameters = case.path_parameters or {}
        negative_path = case.meta is not None and case.meta.is_negative_at("path")
        # Half of the cases are pointed at the seeded event (and session 1), so they reach past
        # the 404 of an unknown event.
        if (
            "event" in parameters
            and not negative_path
            and zlib.crc32(repr((case.body, case.query)).encode()) % 2
        ):
            pointed = {**parameters, "event": event}
            for name in ("session_id", "session"):
                if name in pointed and mode != "odd":
                    pointed[name] = 1
            case.path_parameters = pointed
        headers = {"Accept-Encoding": "identity"}
        # A case made invalid by its headers (no or a wrong token) keeps them.
        if case.meta is None or not case.meta.is_negative_at("header"):
            headers["Authorization"] = f"Bearer {token}"
        REQUESTS[service] += 1
        case.call_and_validate(headers=headers, excluded_checks=LEFT_OUT)

    run()
