"""Organiser accounts for the web pages: hashed passwords, login into the shared session cookie,
and sessions that end everywhere at once.

Accounts live in the schedule service's database (`todo create-organiser NAME`); the schedule
service serves `/login` and `/logout`. Every service trusts the signed session cookie, so an
organiser signs in once; pages that need one use `@organiser_login_required(PERMISSION)`.

The cookie carries the account, a random session id and the time of the login. Logging out,
a new password and removing the account are revocations: the schedule service records them in
its database and publishes `schedule.organiser.sessions_revoked`; registration and notify keep
them in the same table of their own (`SessionRevocationMixin`), so each service checks a cookie
against its own database without asking another. A session ends at the latest
`SESSION_LIFETIME` after the login, however often the cookie is refreshed, so revocations older
than that are forgotten.
"""

from __future__ import annotations

import functools
import secrets
import unicodedata
from datetime import datetime, timedelta
from urllib.parse import urlencode, urlsplit

from flask import current_app, g, redirect, request, session
from sqlalchemy import Integer, String, delete, or_, select
from sqlalchemy.orm import Mapped, Session, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from shared.db import UTCDateTime, utcnow
from shared.messages import Envelope
from shared.organisations import MembershipMixin, authorise
from shared.permissions import Principal, declare, known_permission

MIN_PASSWORD_LENGTH = 10
SESSION_LIFETIME = timedelta(hours=12)


@functools.cache
def _unknown_account_hash() -> str:
    """What an unknown name's password is checked against, so that it takes as long as a known
    one's; made on first use: hashing on import cost every process of the platform 0.15 s."""
    return generate_password_hash("no such organiser account")


class OrganiserAccountMixin(MembershipMixin):
    __tablename__ = "organiser_accounts"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SessionRevocationMixin:
    """One ended session of an account (`session_id`), or all its sessions that began before
    `issued_before`. Rows older than `SESSION_LIFETIME` revoke nothing that could still be used."""

    __tablename__ = "organiser_session_revocations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account: Mapped[str] = mapped_column(String(100), index=True)
    session_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    issued_before: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


def set_organiser_password(
    session: Session, model: type[OrganiserAccountMixin], name: str, password: str
) -> bool:
    """Create the account, or give an existing one a new password; True if it was created."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    account = session.get(model, name)
    hashed = generate_password_hash(password)
    if account is None:
        session.add(model(name=name, password_hash=hashed))
        return True
    account.password_hash = hashed
    account.password_changed_at = utcnow()
    return False


def check_organiser_password(
    session: Session, model: type[OrganiserAccountMixin], name: str, password: str
) -> OrganiserAccountMixin | None:
    account = session.scalar(select(model).where(model.name == name))
    if account is None:
        check_password_hash(_unknown_account_hash(), password)
        return None
    return account if check_password_hash(account.password_hash, password) else None


# -- revocations ---------------------------------------------------------------------------------


def record_revocation(
    session: Session,
    model: type[SessionRevocationMixin],
    account: str,
    *,
    revoked_at: datetime,
    session_id: str | None = None,
    issued_before: datetime | None = None,
) -> None:
    if session_id is None and issued_before is None:
        raise ValueError("a revocation names a session or a time")
    session.add(
        model(
            account=account,
            session_id=session_id,
            issued_before=issued_before,
            revoked_at=revoked_at,
        )
    )
    session.execute(delete(model).where(model.revoked_at < utcnow() - SESSION_LIFETIME))


SESSIONS_REVOKED = "schedule.organiser.sessions_revoked"


def on_sessions_revoked(session: Session, envelope: Envelope, tables) -> None:
    """The handler of `schedule.organiser.sessions_revoked` in every service that keeps a copy
    of the revocations; `tables` has the service's `revocations` (its ServiceSpec)."""
    data = envelope.data
    record_revocation(
        session,
        tables.revocations,
        data["account"],
        revoked_at=data["revoked_at"],
        session_id=data["session_id"],
        issued_before=data["issued_before"],
    )


def is_revoked(
    session: Session,
    model: type[SessionRevocationMixin],
    account: str,
    session_id: str,
    issued_at: datetime,
) -> bool:
    found = session.scalar(
        select(model.id)
        .where(
            model.account == account,
            or_(model.session_id == session_id, model.issued_before > issued_at),
        )
        .limit(1)
    )
    return found is not None


# -- the session cookie --------------------------------------------------------------------------


def organiser_session(account: Principal, issued_at: datetime | None = None) -> dict[str, object]:
    """What the cookie holds for a login: the account and its membership, a new session id, the
    time of login. A changed membership ends the account's sessions, so the cookie's stays true."""
    return {
        "organiser": account.name,
        "organisation": account.organisation,
        "role": account.role,
        "events": list(account.events),
        "sid": secrets.token_urlsafe(16),
        "iat": (issued_at or utcnow()).isoformat(),
    }


def sign_in(account: Principal) -> None:
    # A fresh session, so nothing set before the login (e.g. by an attacker) survives it.
    session.clear()
    session.permanent = True
    session.update(organiser_session(account))
    g.pop("organiser_checked", None)


def sign_out() -> tuple[str, str] | None:
    """End the session in this browser; (account, session id) if it was a valid login."""
    name = current_organiser()
    ended = (name, session["sid"]) if name else None
    session.clear()
    g.organiser_checked = None
    return ended


def _session_models() -> tuple[type[SessionRevocationMixin], type[OrganiserAccountMixin] | None]:
    app = current_app
    if "todo_organiser_sessions" not in app.extensions:
        from shared.service import load_service

        spec = load_service(app.extensions["todo_service"])
        app.extensions["todo_organiser_sessions"] = (spec.revocations, spec.organiser_accounts)
    return app.extensions["todo_organiser_sessions"]


def _valid_login() -> str | None:
    name, session_id, issued = session.get("organiser"), session.get("sid"), session.get("iat")
    if not all(isinstance(value, str) and value for value in (name, session_id, issued)):
        return None
    try:
        issued_at = datetime.fromisoformat(issued)
    except ValueError:
        return None
    now = utcnow()
    if issued_at.tzinfo is None or not now - SESSION_LIFETIME < issued_at <= now:
        return None
    from shared.web import db_session

    revocations, accounts = _session_models()
    if is_revoked(db_session(), revocations, name, session_id, issued_at):
        return None
    if accounts is not None:
        account = db_session().get(accounts, name)
        if account is None or account.password_changed_at > issued_at:
            return None
    return name


def current_organiser() -> str | None:
    """The signed-in organiser's name, if the session is valid here: not expired, not revoked."""
    principal = current_principal()
    return principal.name if principal else None


def current_principal() -> Principal | None:
    """The signed-in organiser with the membership of the login, if the session is valid here."""
    if "organiser_checked" not in g:
        name = _valid_login() if session.get("organiser") is not None else None
        if name is None and session.get("organiser") is not None:
            # An ended session is forgotten, so the browser drops the cookie.
            session.clear()
        g.organiser_checked = _cookie_principal(name) if name else None
    return g.organiser_checked


def _cookie_principal(name: str) -> Principal | None:
    organisation, role, events = (session.get(key) for key in ("organisation", "role", "events"))
    if not (organisation is None or isinstance(organisation, str)) or not (
        role is None or isinstance(role, str)
    ):
        return None
    if not isinstance(events, list) or not all(isinstance(event, str) for event in events):
        return None
    return Principal(name, organisation, role, tuple(events))


# -- where to go after the login -----------------------------------------------------------------


def _allowed_origins() -> set[str]:
    config = current_app.extensions["todo_config"]
    urls = [*config.service_urls.values(), config.public_base_url, request.host_url]
    return {_origin(url) for url in urls if url}


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _odd_character(char: str) -> bool:
    # Browsers drop tabs and newlines from URLs and read a backslash as a slash, so
    # "/\t/evil.example" and "/\\evil.example" lead to another host; control and format
    # characters have no business in a link either.
    return char == "\\" or unicodedata.category(char) in {"Cc", "Cf", "Zl", "Zp"}


def safe_next_url(target: str | None, default: str) -> str:
    """Where to go after logging in: a path here or a page of one of our services, else default."""
    if not target or len(target) > 2000 or any(_odd_character(c) for c in target):
        return default
    try:
        parts = urlsplit(target)
    except ValueError:  # e.g. an unbalanced "[" in the host
        return default
    if target.startswith("/"):
        return default if target.startswith("//") or parts.netloc else target
    if (
        parts.scheme in ("http", "https")
        and parts.hostname
        and "@" not in parts.netloc
        and _origin(target) in _allowed_origins()
    ):
        return target
    return default


def login_url(next_url: str) -> str:
    base = current_app.extensions["todo_config"].service_urls["schedule"]
    return f"{base}/login?{urlencode({'next': next_url})}"


def organiser_login_required(permission: str):
    """`@organiser_login_required("attendees.read")` right under the route of an organiser page
    on any service, naming the permission it needs (`shared.permissions`): without a valid
    login, to the login page and back; for an event that is not the organiser's, a 404 page;
    without the permission, a readable 403 page."""
    known_permission(permission)

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            principal = current_principal()
            if principal is None:
                return redirect(login_url(request.url), 303)
            g.organiser, g.principal = principal.name, principal
            authorise(principal, permission, kwargs)
            return view(*args, **kwargs)

        return declare(wrapper, permission)

    return decorator
