"""Organiser API tokens: `todo create-token NAME` stores a hash in every service's database.

Only the SHA-256 of a token is stored; the token itself is printed once. Views require one with
`@organiser_required`.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from datetime import datetime

from flask import g, request
from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, Session, mapped_column
from werkzeug.exceptions import Unauthorized

from shared.db import UTCDateTime, utcnow
from shared.web import db_session

TOKEN_PREFIX = "todo_"


class ApiTokenMixin:
    __tablename__ = "api_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def store_token(session: Session, model: type[ApiTokenMixin], name: str, token: str) -> None:
    session.add(model(token_hash=hash_token(token), name=name))


def find_token(session: Session, model: type[ApiTokenMixin], token: str) -> ApiTokenMixin | None:
    wanted = hash_token(token)
    row = session.scalar(select(model).where(model.token_hash == wanted))
    if row is None or row.revoked_at is not None:
        return None
    # The lookup is by hash already; compare once more in constant time for good measure.
    return row if hmac.compare_digest(row.token_hash, wanted) else None


def _unauthorized(message: str) -> Unauthorized:
    error = Unauthorized(message)
    error.data = {"headers": {"WWW-Authenticate": 'Bearer realm="todo"'}}
    return error


def organiser_required(token_model: type[ApiTokenMixin]):
    """Decorator for views that only organisers may call (Authorization: Bearer TOKEN)."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            header = request.headers.get("Authorization", "")
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise _unauthorized(
                    "Ein Organisations-Token ist nötig. / Organiser token required."
                )
            row = find_token(db_session(), token_model, token.strip())
            if row is None:
                raise _unauthorized("Das Token ist ungültig. / The token is invalid.")
            g.organiser = row.name
            return view(*args, **kwargs)

        return wrapper

    return decorator
