"""`Idempotency-Key`: the first successful answer to a POST is stored and returned for retries.

An answer names the attendee's address: it is kept for a retention period
(`REGISTRATION_IDEMPOTENCY_RETENTION_HOURS`, far longer than any client retries), deleted by the
sweeper after that, and at once when the attendee is erased.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from services.registration.models import IdempotentResponse
from shared.db import insert_ignoring_duplicates
from shared.errors import DomainError
from shared.i18n import N_


def request_fingerprint(*parts: object) -> str:
    canonical = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def stored_response(
    session: Session, scope: str, key: str, fingerprint: str
) -> IdempotentResponse | None:
    """The first answer for this key, or None after reserving the key for this request.

    The reservation is a row in the caller's transaction: a concurrent retry waits on it and
    then finds the finished answer; if this request fails, the reservation rolls back with it.
    """
    table = IdempotentResponse.__table__
    reserved = session.execute(
        insert_ignoring_duplicates(table, session.get_bind().dialect.name)
        .values(scope=scope, key=key, request_hash=fingerprint, status_code=0, body="")
        .returning(table.c.key)
    ).scalar()
    if reserved is not None:
        return None
    stored = session.scalars(
        select(IdempotentResponse).where(
            IdempotentResponse.scope == scope, IdempotentResponse.key == key
        )
    ).one()
    if stored.request_hash != fingerprint:
        raise DomainError(
            N_("This Idempotency-Key was used for a different request."),
            {"Idempotency-Key": [N_("already used")]},
        )
    return stored


def store_response(
    session: Session, scope: str, key: str, status_code: int, body: str, *, attendee_id: int
) -> None:
    session.execute(
        update(IdempotentResponse)
        .where(IdempotentResponse.scope == scope, IdempotentResponse.key == key)
        .values(status_code=status_code, body=body, attendee_id=attendee_id)
    )


def forget_responses(session: Session, attendee_id: int) -> None:
    """Delete the stored answers about an attendee who is being erased."""
    session.execute(delete(IdempotentResponse).where(IdempotentResponse.attendee_id == attendee_id))


def expire_responses(session: Session, before: datetime) -> int:
    """Delete the answers stored before `before`; returns how many."""
    return session.execute(
        delete(IdempotentResponse).where(IdempotentResponse.created_at < before)
    ).rowcount
