"""Organiser accounts and the end of their sessions: logout, a new password and removing an
account are recorded here and announced to the other services
(`schedule.organiser.sessions_revoked`), in the same transaction as the change."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from services.schedule.models import OrganiserAccount, OrganiserSessionRevocation, OutboxMessage
from shared.db import utcnow
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
