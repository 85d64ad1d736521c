"""Organiser accounts and the end of their sessions: logout, a new password and removing an
account are recorded here and announced to the other services
(`schedule.organiser.sessions_revoked`), in the same transaction as the change."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.schedule.models import OrganiserAccount, OrganiserSessionRevocation, OutboxMessage
from shared.db import utcnow
from shared.errors import UNKNOWN, Conflict, Invalid, NotFound
from shared.i18n import N_
from shared.outbox import add_message
from shared.pages.organisers import SESSIONS_REVOKED, record_revocation, set_organiser_password


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
    find_member(session, organisation, name)
    _keep_an_owner(session, session.get(OrganiserAccount, name), None)
    remove_organiser(session, name)
