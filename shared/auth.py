"""Organiser API tokens: `todo create-token NAME` stores a hash in every service's database.

Only the SHA-256 of a token is stored; the token itself is printed once. A token expires
(`DEFAULT_TOKEN_DAYS` after its creation unless given another lifetime) and `todo revoke-token
NAME` ends it in every service.

An API operation for organisers says so in one line, as its outermost decorator:
`organiser = organiser_required(ApiToken)` once per service, then
`@organiser("programme.publish")` on each method, naming the permission it needs
(`shared.permissions`). The same decorator checks the token and the permission and marks the
operation in the OpenAPI document, so the document and the check cannot disagree.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from flask import g, request
from flask_smorest import Blueprint
from sqlalchemy import String, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column
from werkzeug.exceptions import Unauthorized

from shared.db import UTCDateTime, utcnow
from shared.i18n import N_, Message
from shared.messages import Envelope
from shared.organisations import MembershipMixin, authorise, membership
from shared.permissions import PERMISSION_EXTENSION, Principal, declare, known_permission
from shared.web import db_session

TOKEN_PREFIX = "todo_"
DEFAULT_TOKEN_DAYS = 180
DEFAULT_TOKEN_LIFETIME = timedelta(days=DEFAULT_TOKEN_DAYS)
MAX_TOKEN_DAYS = 3650
# The security scheme `create_service_app` declares in every service's OpenAPI document.
ORGANISER_SECURITY = [{"organiser": []}]


class ApiTokenMixin(MembershipMixin):
    __tablename__ = "api_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


TOKEN_ISSUED = "schedule.token.issued"
TOKEN_REVOKED = "schedule.token.revoked"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def store_token(
    session: Session,
    model: type[ApiTokenMixin],
    name: str,
    token: str,
    *,
    lifetime: timedelta = DEFAULT_TOKEN_LIFETIME,
    created_at: datetime | None = None,
    member: dict | None = None,
) -> None:
    """Store `token`; `member` is its membership (`shared.organisations.membership`), none
    for a platform administrator's token."""
    created_at = created_at or utcnow()
    session.add(
        model(
            token_hash=hash_token(token),
            name=name,
            created_at=created_at,
            expires_at=created_at + lifetime,
            **(member or membership(None, None)),
        )
    )


def revoke_tokens(session: Session, model: type[ApiTokenMixin], name: str) -> int:
    """Revoke every unrevoked token called `name`; how many there were."""
    result = session.execute(
        update(model)
        .where(model.name == name, model.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return result.rowcount


def on_token_issued(session: Session, envelope: Envelope, tables) -> None:
    """The handler of `schedule.token.issued` in registration and notify; `tables` has the
    service's `tokens` (its ServiceSpec)."""
    data = envelope.data
    if session.get(tables.tokens, data["token_hash"]) is not None:
        return
    session.add(
        tables.tokens(
            token_hash=data["token_hash"],
            name=data["name"],
            created_at=data["created_at"],
            expires_at=data["expires_at"],
            **membership(data["organisation"], data["role"], tuple(data["events"])),
        )
    )


def on_token_revoked(session: Session, envelope: Envelope, tables) -> None:
    """The handler of `schedule.token.revoked` in registration and notify."""
    row = session.get(tables.tokens, envelope.data["token_hash"])
    if row is not None and row.revoked_at is None:
        row.revoked_at = envelope.data["revoked_at"]


def find_token(session: Session, model: type[ApiTokenMixin], token: str) -> ApiTokenMixin | None:
    """The stored token, revoked and expired ones included; None if there is none."""
    wanted = hash_token(token)
    row = session.scalar(select(model).where(model.token_hash == wanted))
    # The lookup is by hash already; compare once more in constant time for good measure.
    return row if row is not None and hmac.compare_digest(row.token_hash, wanted) else None


def token_refusal(row: ApiTokenMixin | None) -> Message | None:
    """Why a token may not be used, or None if it may."""
    if row is None:
        return N_("The token is invalid.")
    if row.revoked_at is not None:
        return N_("The token has been revoked.")
    if row.expires_at <= utcnow():
        return N_(
            "The token expired on %(day)s; create a new one (todo create-token).",
            day=row.expires_at.date().isoformat(),
        )
    return None


def _unauthorized(message: Message) -> Unauthorized:
    error = Unauthorized(message)
    error.data = {"headers": {"WWW-Authenticate": 'Bearer realm="todo"'}}
    return error


def bearer_principal(token_model: type[ApiTokenMixin]) -> Principal:
    """The organiser whose token the request carries (Authorization: Bearer TOKEN); 401 if it
    is missing, unknown, revoked or expired."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorized(N_("Organiser token required."))
    row = find_token(db_session(), token_model, token.strip())
    refusal = token_refusal(row)
    if refusal is not None:
        raise _unauthorized(refusal)
    g.organiser = row.name
    g.principal = row.principal()
    return g.principal


def organiser_required(token_model: type[ApiTokenMixin]):
    """`organiser = organiser_required(ApiToken)`, then `@organiser("programme.publish")` on
    each API operation that only organisers may call, outermost on the method: the token is
    checked (401), then the URL's event (404 unless it is one of the token's organisation) and
    the permission (403), before the request's arguments; the OpenAPI document shows the security and the permission."""

    def organiser(permission: str):
        documented = Blueprint.doc(
            security=ORGANISER_SECURITY, **{PERMISSION_EXTENSION: known_permission(permission)}
        )

        def decorator(view):
            @functools.wraps(view)
            def wrapper(*args, **kwargs):
                authorise(bearer_principal(token_model), permission, kwargs)
                return view(*args, **kwargs)

            return declare(documented(wrapper), permission)

        return decorator

    return organiser
