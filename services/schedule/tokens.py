"""API tokens that organisation owners create and revoke in the browser (issue 12).

The schedule service stores the token's hash and announces it (`schedule.token.issued`, with
the hash, never the token) in the same transaction; registration and notify store it from the
message, so the token works everywhere once their consumers have handled it. A revocation
travels the same way (`schedule.token.revoked`). `todo create-token` / `revoke-token`, the
operator's commands, write every service's database at once instead, so that they work before
the platform runs.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.schedule.models import ApiToken, OutboxMessage
from shared.auth import (
    DEFAULT_TOKEN_LIFETIME,
    TOKEN_ISSUED,
    TOKEN_REVOKED,
    hash_token,
    new_token,
    store_token,
)
from shared.db import utcnow
from shared.errors import UNKNOWN, Invalid, NotFound
from shared.i18n import N_
from shared.outbox import add_message

# How a token is named in URLs and on pages: the start of its hash (the token is never stored).
TOKEN_ID_LENGTH = 16


def token_id(token: ApiToken) -> str:
    return token.token_hash[:TOKEN_ID_LENGTH]


def organisation_tokens(session: Session, organisation: str) -> list[ApiToken]:
    """The organisation's tokens, newest first, revoked and expired ones included."""
    return list(
        session.scalars(
            select(ApiToken)
            .where(ApiToken.organisation == organisation)
            .order_by(ApiToken.created_at.desc(), ApiToken.name)
        )
    )


def issue_token(
    session: Session,
    name: str,
    member: dict,
    lifetime: timedelta = DEFAULT_TOKEN_LIFETIME,
) -> str:
    """Create a token with the membership `member` (`shared.organisations.membership`) and
    announce it to the other services; the token itself is returned, to be shown once."""
    name = name.strip()
    if not name or len(name) > 100:
        raise Invalid({"name": [N_("Give a name of 1 to 100 characters.")]})
    token, created_at = new_token(), utcnow()
    store_token(
        session, ApiToken, name, token, lifetime=lifetime, created_at=created_at, member=member
    )
    add_message(
        session,
        OutboxMessage,
        TOKEN_ISSUED,
        {
            "name": name,
            "token_hash": hash_token(token),
            "created_at": created_at,
            "expires_at": created_at + lifetime,
            **member,
        },
        aggregate=f"token:{hash_token(token)}",
    )
    return token


def revoke_token(session: Session, organisation: str, identifier: str) -> ApiToken:
    """Revoke the organisation's token `identifier` (`token_id`) here and, by message, in every
    service; NotFound if the organisation has no such token."""
    token = (
        session.scalar(
            select(ApiToken).where(
                ApiToken.organisation == organisation,
                ApiToken.token_hash.startswith(identifier, autoescape=True),
            )
        )
        if len(identifier) == TOKEN_ID_LENGTH
        else None
    )
    if token is None:
        raise NotFound(N_("There is no such token."), {"token": [UNKNOWN]})
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        add_message(
            session,
            OutboxMessage,
            TOKEN_REVOKED,
            {"token_hash": token.token_hash, "revoked_at": token.revoked_at},
            aggregate=f"token:{token.token_hash}",
        )
    return token
