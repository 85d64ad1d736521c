"""Organisations own events; tokens and accounts are their members (issue 12).

The schedule service keeps the organisations and decides which one owns an event. Every
service keeps the same small table of owners (`EventOwnerMixin`, event slug → organisation),
the schedule service beside its events, registration and notify as a copy kept by the message
`schedule.event.owner_changed`; so each service checks an organiser against its own database,
without asking another.

A token's or account's membership (organisation, role, events) is stored with it
(`MembershipMixin`): tokens are written to every service's database by `todo create-token`,
accounts live in the schedule service and carry their membership in the signed session cookie;
a changed membership ends the account's sessions everywhere, so the next login carries the new
one.
"""

from __future__ import annotations

import re
from datetime import datetime

from flask import current_app
from sqlalchemy import JSON, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from shared.db import UTCDateTime, utcnow
from shared.messages import Envelope
from shared.permissions import ROLES, Principal, require

EVENT_OWNER_CHANGED = "schedule.event.owner_changed"
# Organisation slugs follow event slugs: lower-case letters, digits and dashes.
SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


class MembershipMixin:
    """Columns of a token or an account: its organisation (None: a platform administrator), its
    role there, and the events it is limited to (empty: all of the organisation's)."""

    organisation: Mapped[str | None] = mapped_column(String(63), nullable=True)
    role: Mapped[str | None] = mapped_column(String(20), nullable=True)
    events: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")

    def principal(self) -> Principal:
        return Principal(self.name, self.organisation, self.role, tuple(self.events or ()))


def membership(
    organisation: str | None, role: str | None, events: tuple[str, ...] = ()
) -> dict[str, object]:
    """The membership columns, checked: a role only with an organisation and always with one,
    events only with an organisation. A ValueError says what is wrong."""
    if organisation is None:
        if role is not None or events:
            raise ValueError("a role or events need an organisation")
        return {"organisation": None, "role": None, "events": []}
    if role not in ROLES:
        raise ValueError(f"a member needs a role: one of {', '.join(ROLES)}")
    return {"organisation": organisation, "role": role, "events": sorted(set(events))}


class EventOwnerMixin:
    __tablename__ = "event_owners"

    event: Mapped[str] = mapped_column(String(63), primary_key=True)
    organisation: Mapped[str | None] = mapped_column(String(63), nullable=True, index=True)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


def event_owner(session: Session, model: type[EventOwnerMixin], event: str) -> str | None:
    """The organisation that owns `event`; None if none does (platform administrators only)."""
    return session.scalar(select(model.organisation).where(model.event == event))


def record_owner(
    session: Session,
    model: type[EventOwnerMixin],
    event: str,
    organisation: str | None,
    changed_at: datetime,
) -> None:
    """Store who owns `event`, unless a later change is stored already."""
    row = session.get(model, event)
    if row is None:
        session.add(model(event=event, organisation=organisation, changed_at=changed_at))
    elif row.changed_at <= changed_at:
        row.organisation, row.changed_at = organisation, changed_at


def on_event_owner_changed(session: Session, envelope: Envelope, tables) -> None:
    """The handler of `schedule.event.owner_changed` in registration and notify; `tables` has
    the service's `event_owners` (its ServiceSpec)."""
    data = envelope.data
    record_owner(
        session, tables.event_owners, data["event"], data["organisation"], data["changed_at"]
    )


def event_owners_here() -> type[EventOwnerMixin]:
    """The table of owners of the service that handles the request."""
    from shared.service import load_service

    return load_service(current_app.extensions["todo_service"]).event_owners


def authorise(principal: Principal, permission: str, route_values: dict) -> None:
    """`shared.permissions.require` in a request, for the `event` or `organisation` the route
    names, with the owner of the event as this service knows it: 404 for an event or an
    organisation that is not the principal's, 403 for a permission it lacks."""
    from shared.web import db_session

    event, organisation = route_values.get("event"), route_values.get("organisation")
    owner = event_owner(db_session(), event_owners_here(), event) if event is not None else None
    require(principal, permission, event, owner, organisation)
