"""Organisations and which one owns each event (issue 12).

The schedule service decides an event's owner and announces it (`schedule.event.owner_changed`)
in the same transaction, so registration and notify keep the same table of owners and check
organisers by themselves.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.schedule.draft import create_event, create_stage
from services.schedule.models import Event, EventOwner, Organisation, OutboxMessage
from shared.db import utcnow
from shared.errors import UNKNOWN, Conflict, Invalid, NoSuchOrganisation, NotFound
from shared.i18n import N_
from shared.organisations import EVENT_OWNER_CHANGED, SLUG, event_owner, record_owner
from shared.outbox import add_message
from shared.permissions import Principal


def create_organisation(session: Session, slug: str, name: str) -> Organisation:
    errors = {}
    if not SLUG.match(slug):
        errors["slug"] = [N_("Use lower-case letters, digits and dashes (at most 63).")]
    if not name.strip() or len(name) > 200:
        errors["name"] = [N_("Give a name of 1 to 200 characters.")]
    if errors:
        raise Invalid(errors)
    if find_organisation(session, slug, missing_ok=True) is not None:
        raise Conflict(N_("The organisation %(slug)r exists already.", slug=slug))
    organisation = Organisation(slug=slug, name=name.strip())
    session.add(organisation)
    session.flush()
    return organisation


def find_organisation(
    session: Session, slug: str, *, missing_ok: bool = False
) -> Organisation | None:
    """The organisation called `slug`; NotFound unless `missing_ok`."""
    found = session.scalar(select(Organisation).where(Organisation.slug == slug))
    if found is None and not missing_ok:
        raise NoSuchOrganisation(slug)
    return found


def owner(session: Session, event: Event) -> str | None:
    return event_owner(session, EventOwner, event.slug)


def set_owner(session: Session, event: Event, organisation: str | None) -> None:
    """Make `organisation` (None: none, platform administrators only) the owner of `event`,
    here and, by message, in every service."""
    if organisation is not None:
        find_organisation(session, organisation)
    changed_at = utcnow()
    record_owner(session, EventOwner, event.slug, organisation, changed_at)
    add_message(
        session,
        OutboxMessage,
        EVENT_OWNER_CHANGED,
        {"event": event.slug, "organisation": organisation, "changed_at": changed_at},
        aggregate=f"event:{event.slug}",
    )


def claim_event(session: Session, event: Event, organisation: str) -> None:
    """Make `organisation` the owner of `event` unless another one owns it (Conflict)."""
    current = owner(session, event)
    if current == organisation:
        return
    if current is not None:
        raise Conflict(
            N_(
                "The event %(event)r belongs to the organisation %(organisation)r.",
                event=event.slug,
                organisation=current,
            )
        )
    set_owner(session, event, organisation)


def owner_of_new_event(session: Session, principal: Principal, requested: str | None) -> str | None:
    """Who owns an event `principal` creates: a member's own organisation; what a platform
    administrator names (none if nothing)."""
    if principal.administrator:
        if requested is not None:
            find_organisation(session, requested)
        return requested
    if requested not in (None, principal.organisation):
        raise Invalid(
            {"organisation": [N_("You can create events only for your own organisation.")]}
        )
    return principal.organisation


def create_event_for(session: Session, principal: Principal, values: dict) -> Event:
    """Create an event, owned by `owner_of_new_event`, with a venue for each name in
    `values["venues"]` (if any)."""
    organisation = owner_of_new_event(session, principal, values.get("organisation"))
    event = create_event(session, values)
    for name in values.get("venues", ()):
        create_stage(session, event, {"name": name})
    set_owner(session, event, organisation)
    return event


def check_membership(session: Session, organisation: str, events: Iterable[str]) -> None:
    """NotFound unless the organisation exists and owns each of `events`."""
    find_organisation(session, organisation)
    foreign = sorted(
        slug for slug in set(events) if event_owner(session, EventOwner, slug) != organisation
    )
    if foreign:
        raise NotFound(
            N_(
                "The organisation %(organisation)r has no event %(events)s.",
                organisation=organisation,
                events=", ".join(foreign),
            ),
            {"events": [UNKNOWN]},
        )


def events_seen_by(session: Session, principal: Principal) -> list[Event]:
    """The events `principal` works on, soonest first: all for a platform administrator, else
    its organisation's (or those of them it is limited to)."""
    if principal.administrator:
        return list(session.scalars(select(Event).order_by(Event.starts_on, Event.slug)))
    owned = organisation_events(session, principal.organisation)
    return [event for event in owned if not principal.events or event.slug in principal.events]


def organisation_events(session: Session, organisation: str) -> list[Event]:
    """The events the organisation owns, soonest first."""
    return list(
        session.scalars(
            select(Event)
            .join(EventOwner, EventOwner.event == Event.slug)
            .where(EventOwner.organisation == organisation)
            .order_by(Event.starts_on, Event.slug)
        )
    )
