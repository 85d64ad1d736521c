"""Organiser accounts, the end of their sessions, and the members of organisations.

Logout, a new password, a changed membership and removing an account are recorded here and
announced to the other services (`schedule.organiser.sessions_revoked`), in the same transaction
as the change. An owner invites a member by name and email address: the account gets no usable
password, and notify mails a one-time link to set one (`schedule.organiser.password_link`)."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.schedule.models import (
    Organisation,
    OrganiserAccount,
    OrganiserSessionRevocation,
    OutboxMessage,
)
from shared.db import utcnow
from shared.errors import UNKNOWN, Conflict, Invalid, NotFound
from shared.i18n import N_
from shared.outbox import add_message
from shared.pages.organisers import (
    MIN_PASSWORD_LENGTH,
    SESSIONS_REVOKED,
    record_revocation,
    set_organiser_password,
)


def revoke_sessions(
    session: Session,
    account: str,
    reason: str,
    *,
    session_id: str | None = None,
    issued_before: datetime | None = None,
) -> None:
    now = utcnow()
    record_revocation(
        session,
        OrganiserSessionRevocation,
        account,
        revoked_at=now,
        session_id=session_id,
        issued_before=issued_before,
    )
    add_message(
        session,
        OutboxMessage,
        SESSIONS_REVOKED,
        {
            "account": account,
            "session_id": session_id,
            "issued_before": issued_before,
            "revoked_at": now,
            "reason": reason,
        },
        aggregate=f"organiser:{account}",
    )


def end_session(session: Session, account: str, session_id: str) -> None:
    """Logout: this session ends in every service, the account's other sessions go on."""
    revoke_sessions(session, account, "logout", session_id=session_id)


def set_password(session: Session, name: str, password: str, member: dict) -> bool:
    """Create the account with the membership `member` (True), or give it a new password and
    that membership, and end all its sessions."""
    created = set_organiser_password(session, OrganiserAccount, name, password)
    account = session.get(OrganiserAccount, name)
    for column, value in member.items():
        setattr(account, column, value)
    if not created:
        revoke_sessions(
            session, name, "password_changed", issued_before=account.password_changed_at
        )
    return created


def remove_organiser(session: Session, name: str) -> bool:
    """Remove the account and end all its sessions; False if there is no such account."""
    account = session.get(OrganiserAccount, name)
    if account is None:
        return False
    session.delete(account)
    revoke_sessions(session, name, "removed", issued_before=utcnow())
    return True


# -- members of an organisation ------------------------------------------------------------------


def organisation_members(session: Session, organisation: str) -> list[OrganiserAccount]:
    return list(
        session.scalars(
            select(OrganiserAccount)
            .where(OrganiserAccount.organisation == organisation)
            .order_by(OrganiserAccount.name)
        )
    )


def find_member(session: Session, organisation: str, name: str) -> OrganiserAccount:
    """The organisation's member `name`; NotFound if it has none of that name."""
    account = session.get(OrganiserAccount, name)
    if account is None or account.organisation != organisation:
        raise NotFound(N_("There is no member %(name)r.", name=name), {"name": [UNKNOWN]})
    return account


def _keep_an_owner(session: Session, account: OrganiserAccount, new_role: str | None) -> None:
    """Conflict if the change would leave the organisation without an unlimited owner, who
    alone can manage its members."""
    if account.role != "owner" or account.events or new_role == "owner":
        return
    others = session.scalar(
        select(func.count())
        .select_from(OrganiserAccount)
        .where(
            OrganiserAccount.organisation == account.organisation,
            OrganiserAccount.role == "owner",
            OrganiserAccount.name != account.name,
        )
    )
    if not others:
        raise Conflict(N_("The organisation needs an owner: make someone else owner first."))


def change_membership(session: Session, organisation: str, name: str, member: dict) -> None:
    """Give the member another role or other events; its sessions end everywhere, so its next
    login carries the new membership."""
    account = find_member(session, organisation, name)
    if member["organisation"] != organisation:
        raise Invalid({"organisation": [UNKNOWN]})
    _keep_an_owner(session, account, member["role"] if not member["events"] else None)
    for column, value in member.items():
        setattr(account, column, value)
    revoke_sessions(session, name, "membership_changed", issued_before=utcnow())


def remove_member(session: Session, organisation: str, name: str) -> None:
    _keep_an_owner(session, find_member(session, organisation, name), None)
    remove_organiser(session, name)


# -- the one-time link to set the password ------------------------------------------------------

PASSWORD_LINK_LIFETIME = timedelta(hours=72)
PASSWORD_LINK = "schedule.organiser.password_link"


def invite_member(
    session: Session,
    organisation: Organisation,
    values: dict,
    *,
    invited_by: str,
    link_for: Callable[[str], str],
) -> OrganiserAccount:
    """A new member of `organisation` (`values`: name, email, locale and the checked `member`)
    whose account has no usable password until it is set with the link mailed to it."""
    name = values["name"]
    if session.get(OrganiserAccount, name) is not None:
        raise Invalid({"name": [N_("The name %(name)r is taken.", name=name)]})
    set_organiser_password(session, OrganiserAccount, name, secrets.token_urlsafe(32))
    account = session.get(OrganiserAccount, name)
    account.email = values["email"]
    for column, value in values["member"].items():
        setattr(account, column, value)
    send_password_link(
        session,
        organisation,
        account,
        locale=values["locale"],
        invited=True,
        invited_by=invited_by,
        link_for=link_for,
    )
    return account


def send_password_link(
    session: Session,
    organisation: Organisation,
    account: OrganiserAccount,
    *,
    locale: str,
    invited: bool,
    invited_by: str,
    link_for: Callable[[str], str],
) -> None:
    """A new one-time link for `account` (an earlier one stops working), mailed by notify."""
    if not account.email:
        raise Invalid({"email": [N_("The member has no email address; invite them anew.")]})
    secret = secrets.token_urlsafe(32)
    account.password_link_hash = hashlib.sha256(secret.encode()).hexdigest()
    account.password_link_expires_at = utcnow() + PASSWORD_LINK_LIFETIME
    add_message(
        session,
        OutboxMessage,
        PASSWORD_LINK,
        {
            "account": account.name,
            "email": account.email,
            "locale": locale,
            "organisation": organisation.slug,
            "organisation_name": organisation.name,
            "role": account.role,
            "invited_by": invited_by,
            "invited": invited,
            "set_password_url": link_for(secret),
            "expires_at": account.password_link_expires_at,
        },
        aggregate=f"organiser:{account.name}",
    )


def account_of_password_link(session: Session, secret: str) -> OrganiserAccount:
    """The account whose unexpired link `secret` is; NotFound otherwise."""
    wanted = hashlib.sha256(secret.encode()).hexdigest()
    account = session.scalar(
        select(OrganiserAccount).where(OrganiserAccount.password_link_hash == wanted)
    )
    if account is None or account.password_link_expires_at <= utcnow():
        raise NotFound(
            N_(
                "This link does not work (any more): it works once and for 72 hours. Ask an "
                "owner of your organisation for a new one."
            )
        )
    return account


def set_password_with_link(session: Session, secret: str, password: str) -> OrganiserAccount:
    """Set the password of the link's account; the link is used up, and the account's
    sessions end everywhere."""
    account = account_of_password_link(session, secret)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(
            {
                "password": [
                    N_("At least %(length)s characters, please.", length=MIN_PASSWORD_LENGTH)
                ]
            }
        )
    set_organiser_password(session, OrganiserAccount, account.name, password)
    account.password_link_hash = account.password_link_expires_at = None
    revoke_sessions(
        session, account.name, "password_changed", issued_before=account.password_changed_at
    )
    return account
