"""Every API operation that the OpenAPI documents mark as organiser-only refuses a missing, a
malformed, a wrong and a revoked token."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import update

from shared.auth import hash_token, new_token, store_token
from shared.db import utcnow
from shared.service import load_service

# Organiser operations that must be among the secured ones (guards against an empty list).
KNOWN = {
    "schedule": {("post", "/api/v1/events"), ("post", "/api/v1/events/{event}/releases")},
    "registration": {
        ("get", "/api/v1/events/{event}/attendees.csv"),
        ("post", "/api/v1/events/{event}/checkins"),
    },
    "notify": set(),
}


def secured_operations(document: dict) -> list[tuple[str, str]]:
    default = document.get("security")
    operations = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            if operation.get("security", default):
                operations.append((method, path))
    return operations


def concrete(path: str) -> str:
    def value(match: re.Match) -> str:
        name = match.group(1)
        return (
            "todo2024"
            if name == "event"
            else "1"
            if "id" in name
            or name
            in {
                "number",
                "session",
            }
            else "x"
        )

    return re.sub(r"\{(\w+)\}", value, path)


@pytest.mark.parametrize("service", ["schedule", "registration", "notify"])
def test_organiser_operations_refuse_missing_wrong_and_revoked_tokens(
    service, make_database, make_config
):
    db = make_database(service)
    spec = load_service(service)
    revoked = new_token()
    with db.transaction() as session:
        store_token(session, spec.tokens, "revoked", revoked)
    with db.transaction() as session:
        session.execute(
            update(spec.tokens)
            .where(spec.tokens.token_hash == hash_token(revoked))
            .values(revoked_at=utcnow())
        )
    app = spec.create_app(make_config(**{f"{service}_db": db}))
    client = app.test_client()
    document = client.get("/api/v1/openapi.json").get_json()
    operations = secured_operations(document)
    assert KNOWN[service] <= set(operations)

    refused = []
    for method, path in operations:
        for header in (
            None,
            "Bearer",
            "Basic dG9kbzp0b2Rv",
            f"Bearer {new_token()}",
            f"Bearer {revoked}",
            f"Bearer {revoked[:-1]}",
        ):
            headers = {"Authorization": header} if header else {}
            response = client.open(concrete(path), method=method.upper(), headers=headers, json={})
            refused.append((method, path, header and header[:12], response.status_code))
    wrong = [r for r in refused if r[3] != 401]
    assert not wrong, wrong
    app.extensions["todo_db"].dispose()
