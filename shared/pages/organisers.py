"""Organiser accounts for the web pages: hashed passwords, login into the shared session cookie.

Accounts live in the schedule service's database (`todo create-organiser NAME`); the schedule
service serves `/login` and `/logout`. Every service trusts the signed session cookie, so an
organiser signs in once; pages that need one use `@organiser_login_required`.
"""

from __future__ import annotations

import functools
from datetime import datetime
from urllib.parse import urlencode, urlsplit

from flask import current_app, g, redirect, request, session
from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, Session, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from shared.db import UTCDateTime, utcnow

MIN_PASSWORD_LENGTH = 10
# Compared against when the name is unknown, so a wrong name costs as long as a wrong password.
_UNKNOWN_ACCOUNT_HASH = generate_password_hash("no such organiser account")


class OrganiserAccountMixin:
    __tablename__ = "organiser_accounts"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


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
        check_password_hash(_UNKNOWN_ACCOUNT_HASH, password)
        return None
    return account if check_password_hash(account.password_hash, password) else None


def sign_in(name: str) -> None:
    # A fresh session, so nothing set before the login (e.g. by an attacker) survives it.
    session.clear()
    session.permanent = True
    session["organiser"] = name


def sign_out() -> None:
    session.clear()


def current_organiser() -> str | None:
    return session.get("organiser")


def _allowed_origins() -> set[str]:
    config = current_app.extensions["todo_config"]
    urls = [*config.service_urls.values(), config.public_base_url, request.host_url]
    return {_origin(url) for url in urls if url}


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def safe_next_url(target: str | None, default: str) -> str:
    """Where to go after logging in: a path here or a page of one of our services, else default."""
    if not target:
        return default
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    parts = urlsplit(target)
    if parts.scheme in ("http", "https") and _origin(target) in _allowed_origins():
        return target
    return default


def login_url(next_url: str) -> str:
    base = current_app.extensions["todo_config"].service_urls["schedule"]
    return f"{base}/login?{urlencode({'next': next_url})}"


def organiser_login_required(view):
    """For organiser pages on any service: without a login, go to the login page and back."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        name = current_organiser()
        if not name:
            return redirect(login_url(request.url), 303)
        g.organiser = name
        return view(*args, **kwargs)

    return wrapper
